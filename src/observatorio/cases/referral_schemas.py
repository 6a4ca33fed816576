"""API schemas of referrals and consent (requests and public views)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
)

from observatorio.cases.bounds import RecordId
from observatorio.cases.schemas import _In
from observatorio.i18n import in_both
from observatorio.validation_text import refusal

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
# An override must say why in words, not a token: a short floor keeps "ok" or "x" out.
Justification = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=5000)]
ReferralStatus = Literal["pending", "accepted", "declined", "completed", "withdrawn"]


def _utc(value: dt.datetime) -> dt.datetime:
    """A time without zone (a browser's datetime-local) is taken as UTC; a future one is refused."""
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if value.year < 1900 or value > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
        raise refusal("consent_date_future")
    return value


class ConsentIn(_In):
    """Consent as given: by the person or a guardian, when, to whom, for what purpose."""

    given_by: Literal["person", "guardian"]
    guardian_name: Line | None = None
    given_at: Annotated[dt.datetime, AfterValidator(_utc)]
    given_to: Line
    purpose: Reason


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_id: int
    given_by: str
    guardian_name: str | None
    given_at: dt.datetime
    given_to: str
    purpose: str
    recorded_by_id: int | None
    organisation_id: int  # the holder it was given to; referrals rest on it only while it holds the case
    recorded_at: dt.datetime
    withdrawn_at: dt.datetime | None


class ReferralIn(_In):
    """A referral (or, with ``transfer``, a transfer of ownership) of a case to an organisation.

    It rests on ``consent_id`` (recorded consent of this case), or, without consent, on an
    ``override_justification`` by a role allowed to override for child protection."""

    to_organisation_id: RecordId
    profile: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    services: Annotated[list[Annotated[str, StringConstraints(max_length=40)]], Field(min_length=1, max_length=10)]
    reason: Reason
    consent_id: RecordId | None = None
    override_justification: Justification | None = None
    transfer: bool = False


#: What a referral's ``response_reason`` holds when consent was withdrawn (referrals.withdraw_consent):
#: a marker, not a text, shown from the catalogue in the reader's language. Any other reason is
#: the receiver's own text, shown as it is (rows from before hold "consentimiento retirado / consent
#: withdrawn" itself, so they read as before). "@" starts no reason a receiver can give (ReferralAnswer).
CONSENT_WITHDRAWN = "@consent_withdrawn"
#: ... and when an accepted transfer moved the case while the referral was pending (the new holder
#: never decided it: referrals.answer_referral).
CASE_TRANSFERRED = "@case_transferred"
REASON_KEYS = {CONSENT_WITHDRAWN: "referrals.reason.consent_withdrawn",
               CASE_TRANSFERRED: "referrals.reason.case_transferred"}


def _not_a_marker(value: str) -> str:
    if value.startswith("@"):
        raise refusal("reason_reserved")
    return value


class ReferralAnswer(_In):
    """The receiver's answer: accept, or decline with a reason."""

    accept: bool
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000),
                      AfterValidator(_not_a_marker)] = ""


class ReferralOut(BaseModel):
    """A referral as its sender or receiver sees it (no personal data: see ReferralView)."""

    id: int
    case_id: int
    reference: str
    from_organisation_id: int
    from_organisation: str
    to_organisation_id: int
    to_organisation: str
    to_country: str
    profile: str
    transfer: bool
    services: list[str]
    reason: str
    consent_id: int | None
    override: bool
    mandate: str | None = None  # the legal mandate it rests on (referral_profiles.yaml), if any
    status: ReferralStatus
    response_reason: str | None  # the receiver's text, or a marker (REASON_KEYS)
    created_at: dt.datetime
    responded_at: dt.datetime | None
    completed_at: dt.datetime | None

    @property
    def response_reason_key(self) -> str | None:
        """The catalogue key of a marker reason (the pages show it in the reader's language)."""
        return REASON_KEYS.get(self.response_reason or "")

    @field_serializer("response_reason")
    def _reason_shown(self, value: str | None) -> str | None:
        """The API (and the CSV) speak both languages at once: a marker as "es / en"."""
        key = REASON_KEYS.get(value or "")
        return in_both(key) if key else value


class ReferralView(BaseModel):
    """What the receiving organisation sees: the referral and only the profile's fields."""

    referral: ReferralOut
    person: dict[str, Any]
    case: dict[str, Any]
    withheld_fields: list[str]
