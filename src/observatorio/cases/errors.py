"""The cases side's errors: kinds of :class:`~observatorio.errors.ObservatorioError` whose
message is bilingual (Spanish first), from the catalogue (``key``) or given as a pair."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from observatorio.cases.policy import get_policy
from observatorio.errors import ErrorKind, ObservatorioError
from observatorio.i18n import t


class CasesError(ObservatorioError):
    """Base: a refusal of the cases side, with a message in Spanish and English.

    ``CasesError(key="refusal.…", detail={…}, **values)`` takes the texts from messages.yaml
    (the values fill them; ``detail`` goes into the API's error detail beside the texts);
    ``CasesError(es, en, **extra)`` takes texts already made in both languages (a refusal passed
    on). Literal pairs are refused by tests/hygiene/test_no_inline_texts.py.
    """

    kind = ErrorKind.INVALID

    def __init__(self, es: str | None = None, en: str | None = None, *, key: str | None = None,
                 detail: Mapping[str, Any] | None = None, **extra: Any) -> None:
        values = extra
        if key is not None:  # the values fill the message; the detail carries the texts and `detail`
            es, en, extra = t(key, "es", **values), t(key, "en", **values), {}
        extra = {**extra, **(detail or {})}
        if es is None or en is None:
            raise TypeError("CasesError needs es and en, or a catalogue key")
        self.es, self.en, self.extra = es, en, extra
        self.key, self.values = key or self.key, values
        Exception.__init__(self, en)

    @property
    def status(self) -> int:
        """The HTTP status (the kind's, from the one table in observatorio.errors)."""
        return self.http_status

    def message(self, lang: str = "es") -> str:
        return self.es if lang == "es" else self.en

    def detail(self) -> dict[str, Any]:
        return {"es": self.es, "en": self.en, **self.extra}

    def body(self) -> dict[str, Any]:
        """The cases API's error body: ``{"detail": {"es", "en", …}}``."""
        return {"detail": self.detail()}


class NotFound(CasesError):
    # Also used when a record exists but the user may not read it: existence is not leaked.
    kind = ErrorKind.NOT_FOUND


class Forbidden(CasesError):
    kind = ErrorKind.FORBIDDEN


class Conflict(CasesError):
    kind = ErrorKind.CONFLICT


class Invalid(CasesError):
    kind = ErrorKind.UNPROCESSABLE


class Unauthenticated(CasesError):
    kind = ErrorKind.UNAUTHENTICATED


class Misconfigured(CasesError):
    """The deployment's settings are unusable (e.g. a signing key too short to be safe)."""

    kind = ErrorKind.MISCONFIGURED


class Throttled(CasesError):
    kind = ErrorKind.THROTTLED

    def __init__(self, retry_after: int) -> None:
        super().__init__(key="cases.refusal.throttled", seconds=retry_after)
        self.retry_after = retry_after


#: The record kinds ``not_found`` names, as message keys (cases.refusal.kind.*).
_RECORD_KINDS = ("case", "person", "organisation", "user", "task", "referral", "consent", "notification")


def not_found(kind: str, ident: object) -> NotFound:
    if kind in _RECORD_KINDS:
        es, en = t(f"cases.refusal.kind.{kind}", "es"), t(f"cases.refusal.kind.{kind}", "en")
    else:
        es = en = kind
    return NotFound(t("cases.refusal.not_found", "es", what=es, ident=ident),
                    t("cases.refusal.not_found", "en", what=en, ident=ident))


def forbidden(action: str) -> Forbidden:
    """The refusal names the action as policy.yaml labels it in each language ("Moderar, traducir y
    publicar buenas prácticas"), never its code, which a reader cannot act on."""
    label = get_policy().actions.get(action) or {"es": action, "en": action}
    refusal = Forbidden(t("cases.refusal.forbidden_action", "es", action=label["es"]),
                        t("cases.refusal.forbidden_action", "en", action=label["en"]))
    refusal.extra = {"action": action}  # the API's detail names the action refused
    return refusal
