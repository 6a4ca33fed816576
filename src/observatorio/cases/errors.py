"""One error hierarchy for the cases side; every message is bilingual (Spanish first)."""

from __future__ import annotations

from typing import Any


class CasesError(Exception):
    """Base: an HTTP status and a message in Spanish and English."""

    status = 400

    def __init__(self, es: str, en: str, **extra: Any) -> None:
        super().__init__(en)
        self.es, self.en, self.extra = es, en, extra

    def detail(self) -> dict[str, Any]:
        return {"es": self.es, "en": self.en, **self.extra}


class NotFound(CasesError):
    # Also used when a record exists but the user may not read it: existence is not leaked.
    status = 404


class Forbidden(CasesError):
    status = 403


class Conflict(CasesError):
    status = 409


class Invalid(CasesError):
    status = 422


class Unauthenticated(CasesError):
    status = 401


class Misconfigured(CasesError):
    """The deployment's settings are unusable (e.g. a signing key too short to be safe)."""

    status = 503


class Throttled(CasesError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Demasiados intentos fallidos; vuelva a intentar en {retry_after} s.",
            f"Too many failed attempts; try again in {retry_after} s.",
        )
        self.retry_after = retry_after


def not_found(kind: str, ident: object) -> NotFound:
    names = {"case": ("caso", "case"), "person": ("persona", "person"), "organisation": ("organización", "organisation"),
             "user": ("usuario", "user"), "task": ("tarea", "task"), "referral": ("remisión", "referral"),
             "consent": ("consentimiento", "consent"), "notification": ("aviso", "notification")}
    es, en = names.get(kind, (kind, kind))
    return NotFound(f"No existe el/la {es} {ident} o no tiene acceso.", f"No {en} {ident}, or no access to it.")


def forbidden(action: str) -> Forbidden:
    return Forbidden(
        f"Su rol no permite la acción «{action}» sobre este registro.",
        f"Your role does not allow '{action}' on this record.",
        action=action,
    )
