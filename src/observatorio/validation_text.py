"""pydantic/FastAPI validation failures as bilingual text (Spanish first), from messages.yaml.

FastAPI's own 422 body is English only and echoes the input, which cannot even be encoded when
it holds a lone surrogate (a 500 instead of a 422). These functions say, in both languages,
which field was wrong and why, without echoing the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_core import PydanticCustomError

from observatorio.i18n import LANGS, entry, has_message, t

#: Where a value came from, as the message names it.
_LOCATIONS = ("body", "query", "path", "header", "cookie")
#: How many problems one answer lists (a huge body could fail everywhere).
MAX_LISTED = 20


def encodable(text: str) -> str:
    """``text`` without what UTF-8 cannot carry (lone surrogates become U+FFFD)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def field_name(error: Mapping[str, Any]) -> str:
    """``person_id`` or ``documents.0.number``: the place, without the body/query prefix."""
    loc = [str(p) for p in error.get("loc", ())]
    if loc and loc[0] in _LOCATIONS and len(loc) > 1:
        loc = loc[1:]
    return encodable(".".join(loc) or "—")


#: one allowed value in pydantic's list of them (``'a', 'b' or 'c'``; a value holding an
#: apostrophe is written in double quotes)
_CHOICE = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def choices(expected: str, lang: str) -> str:
    """pydantic writes the allowed values as English prose (``'a', 'b' or 'c'``): the same
    list in ``lang`` («a», «b» o «c»); anything else as it came."""
    values = [single or double for single, double in _CHOICE.findall(expected)]
    if not values:
        return expected
    quoted = [f"«{v}»" if lang == "es" else f"'{v}'" for v in values]
    if len(quoted) == 1:
        return quoted[0]
    return f"{', '.join(quoted[:-1])} {t('validation.or', lang)} {quoted[-1]}"


def reason(error: Mapping[str, Any], lang: str) -> str:
    """Why the value was refused, in ``lang`` (pydantic's English text when no message exists)."""
    kind = str(error.get("type", ""))
    ctx = {k: encodable(str(v)) for k, v in (error.get("ctx") or {}).items()}
    if "expected" in ctx:
        ctx["expected"] = choices(ctx["expected"], lang)
    key = f"validation.{kind}"
    if has_message(key):
        try:
            return t(key, lang, **ctx)
        except (KeyError, IndexError):  # a context value the message expects is absent
            pass
    return t("validation.other", lang, detail=encodable(str(error.get("msg", kind))))


def refusal(kind: str, **context: Any) -> PydanticCustomError:
    """A validator's refusal of type ``kind``: :func:`reason` finds its text, in each language, at
    ``validation.<kind>`` in messages.yaml; pydantic's own message is the English text."""
    return PydanticCustomError(kind, entry(f"validation.{kind}")["en"], context or None)


def bilingual(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"es", "en", "errors": [{"field", "type", "es", "en"}, …]}`` for an error body."""
    listed: list[dict[str, str]] = []
    for error in list(errors)[:MAX_LISTED]:
        item = {"field": field_name(error), "type": str(error.get("type", ""))}
        item.update({lang: reason(error, lang) for lang in LANGS})
        listed.append(item)
    first: dict[str, str] = listed[0] if listed else {"field": "—", "es": "", "en": ""}
    body: dict[str, Any] = {lang: t("validation.summary", lang, field=first["field"],
                                    reason=first[lang], count=len(errors)) for lang in LANGS}
    body["errors"] = listed
    return body
