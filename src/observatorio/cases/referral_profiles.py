"""The data-minimisation profiles of referrals (``referral_profiles.yaml``), read and checked once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from observatorio.cases.vocab import CaseType, OrgKind
from observatorio.errors import ConfigFileInvalid

# What a profile may name: the fields a person or case read returns (record_views.py's
# lists, less internal ids). A name outside these is a mistake in the file, refused at load.
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
class Mandate:
    """A legal mandate a referral may rest on instead of consent: for which case types, to
    which kinds of organisation, with which profile and services (``mandates:`` of the file)."""

    key: str
    label: dict[str, str]
    basis: dict[str, str]  # the law's obligation in words: the referral's reason
    profile: str
    services: tuple[str, ...]
    case_types: frozenset[str]
    receiver_kinds: frozenset[str]
    receivers: dict[str, str]  # country (alpha-3) -> organisation name, where the country has several


@dataclass(frozen=True)
class Profiles:
    services: dict[str, dict[str, str]]  # service key -> {es, en}
    profiles: dict[str, Profile]
    mandates: dict[str, Mandate] = field(default_factory=dict)


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
    mandates = {key: _mandate(key, spec, services, profiles) for key, spec in (raw.get("mandates") or {}).items()}
    return Profiles(services, profiles, mandates)


def _bilingual(where: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"es", "en"}:
        raise ProfileError(f"{where} needs es and en")
    return {k: str(v) for k, v in value.items()}


def _mandate(key: str, spec: dict[str, object], services: dict[str, dict[str, str]],
             profiles: dict[str, Profile]) -> Mandate:
    """One entry of ``mandates:``, every name in it checked against the file and the vocabularies."""
    where = f"mandate {key}"
    profile = str(spec.get("profile", ""))
    if profile not in profiles:
        raise ProfileError(f"{where}: profile {profile!r} is not one of {sorted(profiles)}")
    listed = {name: tuple(str(v) for v in spec.get(name) or ())  # type: ignore[attr-defined]
              for name in ("services", "case_types", "receiver_kinds")}
    for name, known in (("services", set(services)), ("case_types", {t.value for t in CaseType}),
                        ("receiver_kinds", {k.value for k in OrgKind})):
        if not listed[name]:
            raise ProfileError(f"{where}: {name} is empty")
        if unknown := set(listed[name]) - known:
            raise ProfileError(f"{where}: {name}: unknown {sorted(unknown)}; use {sorted(known)}")
    receivers = spec.get("receivers") or {}
    if not isinstance(receivers, dict):
        raise ProfileError(f"{where}: receivers must map a country (alpha-3) to an organisation name")
    return Mandate(key, _bilingual(f"{where}: label", spec.get("label")),
                   _bilingual(f"{where}: basis", spec.get("basis")), profile, listed["services"],
                   frozenset(listed["case_types"]), frozenset(listed["receiver_kinds"]),
                   {str(c): str(n) for c, n in receivers.items()})


@cache
def get_profiles() -> Profiles:
    return parse(resources.files("observatorio.cases").joinpath("referral_profiles.yaml").read_text("utf-8"))
