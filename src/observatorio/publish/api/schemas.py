"""Response models of the open-data API: what the API promises, kept apart from store rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from observatorio.api_texts import api_text

Lang = Literal["es", "en"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObservationRow(_Model):
    """One observation, or one sum when ``group_by`` is given (then only the grouped columns,
    ``value``, ``obs_status`` and ``obs_count`` are present)."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.observation_row")})

    dataflow: str | None = None
    source: str | None = None
    table: str | None = None
    release: date | None = None
    freq: str | None = None
    period: date | None = Field(None, description=api_text("api.doc.field.period"))
    ref_area: str | None = None
    citizenship: str | None = None
    counterpart_area: str | None = None
    flow: str | None = None
    sex: str | None = None
    age: str | None = None
    accompaniment: str | None = None
    unit: str | None = None
    value: float | None = None
    obs_status: str | None = None
    attributes: str | None = Field(None, description=api_text("api.doc.field.attributes"))
    source_file: str | None = Field(None, description=api_text("api.doc.field.source_file"))
    source_row: int | None = Field(None, description=api_text("api.doc.field.source_row"))
    load_id: str | None = Field(None, description=api_text("api.doc.field.load_id"))
    obs_count: int | None = Field(None, description=api_text("api.doc.field.obs_count"))
    months: int | None = Field(None, description=api_text("api.doc.field.months"))
    vintage: date | None = Field(None, description=api_text("api.doc.field.vintage"))


class PageMeta(_Model):
    """Where this page sits in the whole answer."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.page_meta")})

    total: int = Field(description=api_text("api.doc.field.total"))
    limit: int
    offset: int
    next: str | None = Field(description=api_text("api.doc.field.next"))
    columns: list[str]
    group_by: list[str]
    release: date | None = None
    as_of: date | None = None
    store_version: str


class ObservationPage(_Model):
    """A page of observations (``format=json``)."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.observation_page")})

    meta: PageMeta
    data: list[ObservationRow]


class Coverage(_Model):
    """Which reporting country and frequency a source covers, over which periods."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.coverage")})

    ref_area: str
    freq: str
    period_start: date
    period_end: date
    rows: int


class SourceOut(_Model):
    """One loaded source, its latest release and coverage."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.source")})

    source: str
    publisher: str | None
    title: str | None
    title_es: str | None
    title_en: str | None
    licence: str | None
    dataflow: str | None
    url: str | None
    homepage: str | None
    caveats: list[str]
    release: date
    releases: int = Field(description=api_text("api.doc.field.releases"))
    rows: int
    period_start: date | None
    period_end: date | None
    loaded_at: datetime
    source_file: str
    load_id: str
    coverage: list[Coverage]


class LoadOut(_Model):
    """One load: a published file loaded as one release of a source."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.load")})

    load_id: str
    source: str
    release: date
    source_file: str
    sha256: str
    rows: int
    period_start: date | None
    period_end: date | None
    loaded_at: datetime
    is_latest: bool


class FreshnessRow(_Model):
    """Who reported what, when: a CRM country's last period and release for one flow."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.freshness")})

    ref_area: str
    country: str
    flow: str | None
    flow_label: str | None
    freq: str | None
    last_period: date | None
    last_release: date | None
    sources: list[str]


class SourceFreshnessRow(_Model):
    """One source: its latest release, the last refresh attempt and the next expected release."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.source_freshness")})

    source: str
    last_release: date | None
    loaded_at: datetime | None
    last_attempt: datetime | None
    result: str | None  # loaded | unchanged | not_modified | failed (None: never refreshed)
    message: str | None  # the attempt's message in the requested language
    last_success: datetime | None
    cadence: str | None  # monthly | quarterly | annual | irregular
    next_expected: date | None


class CodeOut(_Model):
    """One code with its label in the requested language and in both."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.code")})

    id: str
    label: str
    description: str
    label_es: str
    label_en: str


class CodelistOut(_Model):
    """A codelist (SDMX sense)."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.codelist")})

    id: str
    lang: Lang
    codes: list[CodeOut]


class CodelistRef(_Model):
    """A codelist's id and where to read it."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.codelist_ref")})

    id: str
    url: str


class GlossaryEntry(_Model):
    """A national term, the harmonized flow it maps to and what one count of it means."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.glossary_entry")})

    term: str
    term_lang: str
    countries: list[str]
    flow: str
    flow_label: str
    unit: str
    unit_label: str
    definition: str
    note: str
    definition_es: str
    definition_en: str
    note_es: str
    note_en: str


class DataflowOut(_Model):
    """An SDMX dataflow served at /sdmx/data/{id}/{key}."""

    model_config = ConfigDict(json_schema_extra={"description": api_text("api.doc.schema.dataflow")})

    id: str
    name: str
    structure: str
    key_template: str
