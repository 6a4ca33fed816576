"""Homologated protocols as data: one YAML file per case type and version
(``protocols/<case_type>/v<N>.yaml``), a regional base with national variants.

A variant step with the id of a base step overrides the keys it names; a step with a new id is
added after the step named by ``after`` (or at the end). A case stores the protocol version it
was opened under and its variant country (``Case.protocol_version`` / ``protocol_variant``), so a
new version never changes the checklist of a case already open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from observatorio import yaml_load
from observatorio.cases.policy import get_policy
from observatorio.cases.vocab import CaseType, OrgKind
from observatorio.errors import ConfigFileInvalid

PROTOCOL_DIR = Path(str(resources.files("observatorio.cases.protocols")))
_ID = r"^[a-z][a-z0-9_]{0,39}$"


class ProtocolError(ConfigFileInvalid):
    """A protocol file is broken: the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Strict):
    es: str = Field(min_length=1)
    en: str = Field(min_length=1)


class RecordField(_Strict):
    id: str = Field(pattern=_ID)
    label: Label


class Deadline(_Strict):
    hours: int = Field(gt=0, le=24 * 365)
    # "opening": from the case's opening; "previous": from the completion of the step before.
    start: Literal["opening", "previous"] = Field(alias="from")


def _known_roles(roles: list[str]) -> list[str]:
    if unknown := sorted(set(roles) - get_policy().roles.keys()):
        raise ValueError(f"unknown roles {unknown} (policy.yaml declares {sorted(get_policy().roles)})")
    return roles


class Step(_Strict):
    id: str = Field(pattern=_ID)
    label: Label
    record: list[RecordField] = Field(min_length=1)
    roles: list[str] = Field(min_length=1)
    deadline: Deadline
    referral: OrgKind | None = None  # the kind of organisation a mandatory referral goes to

    _roles = field_validator("roles")(_known_roles)


class VariantStep(_Strict):
    """A national step: every key but ``id`` optional when it overrides a base step."""

    id: str = Field(pattern=_ID)
    after: str | None = None
    label: Label | None = None
    record: list[RecordField] | None = None
    roles: list[str] | None = None
    deadline: Deadline | None = None
    referral: OrgKind | None = None

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _known_roles(v)


class Variant(_Strict):
    label: Label
    steps: list[VariantStep] = Field(min_length=1)


class ProtocolFile(_Strict):
    case_type: CaseType
    version: int = Field(ge=1)
    label: Label
    steps: list[Step] = Field(min_length=1)
    variants: dict[str, Variant] = Field(default_factory=dict)
    # Base steps that must be complete before a case of this protocol may be closed.
    closure_requires: list[str] = Field(default_factory=list)

    @field_validator("variants")
    @classmethod
    def _countries(cls, v: dict[str, Variant]) -> dict[str, Variant]:
        bad = [k for k in v if not (len(k) == 3 and k.isalpha() and k.isupper())]
        if bad:
            raise ValueError(f"variant keys must be ISO 3166 alpha-3 codes, got {bad}")
        return v


@dataclass(frozen=True)
class ResolvedStep:
    step: Step
    origin: Literal["base", "changed", "added"]  # how the variant relates to the regional base
    changed: tuple[str, ...] = ()  # keys a variant overrode


@dataclass(frozen=True)
class Protocol:
    """The steps a case follows: one version of one case type, for one country (or the base)."""

    key: str  # "<case_type>@<version>", stored on the case
    case_type: str
    version: int
    label: Label
    country: str | None  # the variant applied, None for the regional base
    steps: tuple[ResolvedStep, ...]
    closure_requires: tuple[str, ...] = ()

    def step(self, step_id: str) -> Step | None:
        return next((r.step for r in self.steps if r.step.id == step_id), None)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top)"


def _apply_variant(base: ProtocolFile, country: str, variant: Variant, source: str) -> tuple[ResolvedStep, ...]:
    steps = [ResolvedStep(s, "base") for s in base.steps]
    for i, vs in enumerate(variant.steps):
        where = f"{source}: variants.{country}.steps.{i}"
        given = vs.model_dump(exclude_unset=True, exclude={"id", "after"}, by_alias=True)
        pos = next((j for j, r in enumerate(steps) if r.step.id == vs.id), None)
        if pos is not None:
            if vs.after is not None:
                raise ProtocolError(f"{where}.after: a step overriding base step {vs.id!r} keeps its place")
            merged = steps[pos].step.model_dump(by_alias=True) | given
            steps[pos] = ResolvedStep(Step.model_validate(merged), "changed", tuple(sorted(given)))
            continue
        try:
            new = Step.model_validate({"id": vs.id, **given})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ProtocolError(f"{where}.{_where(err['loc'])}: {err['msg']} "
                                "(a new step needs label, record, roles and deadline)") from None
        if vs.after is None:
            steps.append(ResolvedStep(new, "added"))
            continue
        anchor = next((j for j, r in enumerate(steps) if r.step.id == vs.after), None)
        if anchor is None:
            raise ProtocolError(f"{where}.after: no step {vs.after!r} to add {vs.id!r} after")
        steps.insert(anchor + 1, ResolvedStep(new, "added"))
    return tuple(steps)


def parse(text: str, source: str) -> ProtocolFile:
    """One protocol file, validated; a ProtocolError names ``source`` and the key at fault."""
    try:
        raw = yaml_load.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProtocolError(f"{source}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ProtocolError(f"{source}: (top): expected a mapping with case_type, version, label, steps")
    try:
        pf = ProtocolFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ProtocolError(f"{source}: {_where(err['loc'])}: {err['msg']}") from None
    ids = [s.id for s in pf.steps]
    if dup := sorted({i for i in ids if ids.count(i) > 1}):
        raise ProtocolError(f"{source}: steps: duplicate step ids {dup}")
    if unknown := sorted(set(pf.closure_requires) - set(ids)):
        raise ProtocolError(f"{source}: closure_requires: no steps {unknown} in this protocol")
    for country, variant in pf.variants.items():
        _apply_variant(pf, country, variant, source)  # a broken variant fails at load, not on use
    return pf


@dataclass(frozen=True)
class Catalogue:
    files: dict[tuple[str, int], ProtocolFile]

    def current_version(self, case_type: str) -> int | None:
        versions = [v for (t, v) in self.files if t == case_type]
        return max(versions) if versions else None

    def resolve(self, case_type: str, version: int, country: str | None) -> Protocol:
        pf = self.files[(case_type, version)]
        variant = pf.variants.get(country) if country else None
        key = f"{case_type}@{version}"
        if variant is None or country is None:
            return Protocol(key, case_type, version, pf.label, None,
                            tuple(ResolvedStep(s, "base") for s in pf.steps), tuple(pf.closure_requires))
        return Protocol(key, case_type, version, pf.label, country,
                        _apply_variant(pf, country, variant, key), tuple(pf.closure_requires))


def load_dir(directory: Path) -> Catalogue:
    """Every ``<case_type>/v<N>.yaml`` under ``directory``; the file name must match its content."""
    files: dict[tuple[str, int], ProtocolFile] = {}
    for path in sorted(directory.glob("*/v*.yaml")):
        source = str(path)
        pf = parse(path.read_text("utf-8"), source)
        if (path.parent.name, path.stem) != (pf.case_type.value, f"v{pf.version}"):
            raise ProtocolError(f"{source}: case_type/version: the file must be "
                                f"{pf.case_type.value}/v{pf.version}.yaml")
        files[(pf.case_type.value, pf.version)] = pf
    return Catalogue(files)


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The bundled protocols, validated once."""
    return load_dir(PROTOCOL_DIR)


def protocol_of(case_type: str, key: str | None, variant: str | None) -> Protocol | None:
    """The protocol a case stored at opening (None for a case type without a protocol)."""
    if not key:
        return None
    ctype, _, version = key.partition("@")
    return catalogue().resolve(ctype, int(version), variant)


def for_new_case(case_type: str, country: str) -> tuple[str | None, str | None]:
    """(protocol key, variant country) a case opened now follows."""
    cat = catalogue()
    version = cat.current_version(case_type)
    if version is None:
        return None, None
    has_variant = country in cat.files[(case_type, version)].variants
    return f"{case_type}@{version}", country if has_variant else None


@dataclass(frozen=True)
class StepState:
    step: Step
    origin: str
    due_at: dt.datetime | None  # None: waits for the previous step
    completed_at: dt.datetime | None
    overdue: bool


def checklist(protocol: Protocol, opened_at: dt.datetime, completed: dict[str, dt.datetime],
              now: dt.datetime) -> list[StepState]:
    """Each step with its due time and whether it is overdue at ``now`` (the clock is passed in)."""
    out: list[StepState] = []
    now = _aware(now)
    previous_done: dt.datetime | None = _aware(opened_at)
    for r in protocol.steps:
        start = _aware(opened_at) if r.step.deadline.start == "opening" else previous_done
        due = start + dt.timedelta(hours=r.step.deadline.hours) if start else None
        done = completed.get(r.step.id)
        done = _aware(done) if done else None
        out.append(StepState(r.step, r.origin, due, done, done is None and due is not None and now > due))
        previous_done = done
    return out


def _aware(t: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for timezone-aware columns; every stored instant is UTC.
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)
