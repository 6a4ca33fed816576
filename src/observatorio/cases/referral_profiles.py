"""The data-minimisation profiles of referrals (``referral_profiles.yaml``), read and checked once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from observatorio.errors import ConfigFileInvalid

# What a profile may name: the fields a person or case read returns (service.py's lists,
# less internal ids). A name outside these is a mistake in the file, refused at load.
PERSON_FIELDS = frozenset({"given_names", "family_names", "date_of_birth", "estimated_age", "sex",
                           "nationality", "documents", "contacts"})
CASE_FIELDS = frozenset({"case_type", "status", "risk_level", "summary", "location", "health_details",
                         "trafficking_details", "child_protection_details"})


@dataclass(frozen=True)
class Profile:
    key: str
    label: dict[str, str]
    person_fields: tuple[str, ...]
    case_fields: tuple[str, ...]
    override_allowed: bool


@dataclass(frozen=True)
class Profiles:
    services: dict[str, dict[str, str]]  # service key -> {es, en}
    profiles: dict[str, Profile]


class ProfileError(ConfigFileInvalid):
    """referral_profiles.yaml names an unknown field or lacks a label."""


def parse(text: str) -> Profiles:
    raw = yaml.safe_load(text)
    services = {k: dict(v) for k, v in raw["services"].items()}
    profiles: dict[str, Profile] = {}
    for key, spec in raw["profiles"].items():
        person, case = tuple(spec.get("person_fields") or ()), tuple(spec.get("case_fields") or ())
        if unknown := (set(person) - PERSON_FIELDS) | (set(case) - CASE_FIELDS):
            raise ProfileError(f"profile {key}: unknown fields {sorted(unknown)}")
        label = dict(spec["label"])
        if set(label) != {"es", "en"}:
            raise ProfileError(f"profile {key}: label needs es and en")
        profiles[key] = Profile(key, label, person, case, bool(spec.get("override_allowed", False)))
    return Profiles(services, profiles)


@cache
def get_profiles() -> Profiles:
    return parse(resources.files("observatorio.cases").joinpath("referral_profiles.yaml").read_text("utf-8"))
