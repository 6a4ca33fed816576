"""Vulnerability screening → the referrals it requires, driven by the protocols (as data).

``required_referrals`` is the one hook: it turns the flags ticked at intake into the list of
referrals the protocols (and ``screening.yaml``) require. Intake turns those a flag's legal
mandate covers into referral records (``mandated_referrals``) and records the others as open
tasks on the returnee's case (``intake.record_required_referrals``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from observatorio.cases.policy import get_policy
from observatorio.cases.protocols.loader import Label, catalogue, for_new_case, protocol_of
from observatorio.cases.referral_profiles import get_profiles
from observatorio.cases.vocab import CaseType, OrgKind
from observatorio.errors import ConfigFileInvalid


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Flag(_Strict):
    label: Label
    protocol: CaseType | None = None
    referrals: list[OrgKind] = Field(default_factory=list)
    sensitive: str | None = None  # a field group of policy.yaml
    mandate: str | None = None  # a legal mandate of referral_profiles.yaml


class ScreeningFile(_Strict):
    flags: dict[str, Flag] = Field(min_length=1)
    services: dict[str, Label] = Field(min_length=1)


class ScreeningError(ConfigFileInvalid):
    """screening.yaml is broken: the message names the key."""


@dataclass(frozen=True)
class RequiredReferral:
    """One referral the screening requires: to which kind of organisation, and why."""

    flag: str
    organisation_kind: str
    protocol: str | None  # "<case_type>@<version>" when a protocol step requires it
    step_id: str | None
    label: Label  # the step's label, or the flag's for a direct referral
    sensitive: str | None = None  # the flag's field group: the need is not written where all read
    mandate: str | None = None  # the flag's legal mandate, where it has one


def flags() -> dict[str, Flag]:
    """The screening flags, in the order of screening.yaml."""
    return screening_file().flags


def services() -> dict[str, Label]:
    """The immediate services a centre records, in the order of screening.yaml."""
    return screening_file().services


@cache
def screening_file() -> ScreeningFile:
    text = resources.files("observatorio.cases.reception").joinpath("screening.yaml").read_text("utf-8")
    try:
        parsed = ScreeningFile.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise ScreeningError(f"screening.yaml: {exc}") from None
    for name, flag in parsed.flags.items():
        if flag.protocol is not None and catalogue().current_version(flag.protocol.value) is None:
            raise ScreeningError(f"screening.yaml: flags.{name}.protocol: no protocol file for {flag.protocol.value}")
        if flag.sensitive is not None and flag.sensitive not in get_policy().field_groups:
            raise ScreeningError(f"screening.yaml: flags.{name}.sensitive: {flag.sensitive} is not a field group "
                                 f"of policy.yaml ({sorted(get_policy().field_groups)})")
        if flag.mandate is not None and flag.mandate not in get_profiles().mandates:
            raise ScreeningError(f"screening.yaml: flags.{name}.mandate: {flag.mandate} is not a mandate of "
                                 f"referral_profiles.yaml ({sorted(get_profiles().mandates)})")
    return parsed


def unknown_flags(names: list[str]) -> list[str]:
    return sorted(set(names) - flags().keys())


def required_referrals(ticked: list[str], country: str) -> list[RequiredReferral]:
    """The referrals the ticked flags require in ``country`` (ISO alpha-3 of the centre), in
    the order of screening.yaml, then of the protocol's steps; each kind of organisation once
    per flag."""
    out: list[RequiredReferral] = []
    for name, flag in flags().items():
        if name not in ticked:
            continue
        seen: set[str] = set()
        if flag.protocol is not None:
            key, variant = for_new_case(flag.protocol.value, country)
            protocol = protocol_of(flag.protocol.value, key, variant)
            for resolved in protocol.steps if protocol else ():
                kind = resolved.step.referral
                if kind is not None and kind.value not in seen:
                    seen.add(kind.value)
                    out.append(RequiredReferral(name, kind.value, key, resolved.step.id, resolved.step.label,
                                                flag.sensitive, flag.mandate))
        for kind in flag.referrals:
            if kind.value not in seen:
                seen.add(kind.value)
                out.append(RequiredReferral(name, kind.value, None, None, flag.label, flag.sensitive, flag.mandate))
    return out
