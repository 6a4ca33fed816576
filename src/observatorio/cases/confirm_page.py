"""The confirmation step of the officers' irreversible actions (a transfer, a referral, its
answer or completion, publishing or rejecting a practice, approving or rejecting a submission).

The action's form posts once without ``confirmed``: the handler runs every check the action
would run (the use-case's ``check_*`` twin: the same policy decision, the same audited
refusal, nothing written and no entry of the action) and answers this page, which says what
will happen, to which case or organisation, and that it cannot be undone. Its "Confirm" posts
the same fields again with ``confirmed=yes`` and the session's CSRF token; only that post acts.
"Cancel" is the same form's second button: it posts the same fields with ``confirmed=no``, and
the handler (after the CSRF check) shows the action's form again holding what the officer typed
(a referral's reason, a practice's translations, a decision's comment), as it does after a
refusal; a link back could only show it blank. Cancelling acts on nothing and records only what
showing the form records. No script: the pages have none (their CSP is ``default-src 'none'``),
so this is a plain form. The JSON API acts at once, as before: confirming is a matter of the pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from observatorio.cases.page_kit import Officer, render

CONFIRMED = "confirmed"


def confirmed(form: Mapping[str, Any]) -> bool:
    """Whether this post is the confirming one (the second step)."""
    return str(form.get(CONFIRMED, "")) == "yes"


def cancelled(form: Mapping[str, Any]) -> bool:
    """Whether this post is the question's "Cancel": show the form again with the posted values."""
    return str(form.get(CONFIRMED, "")) == "no"


def confirm_page(request: Request, me: Officer, *, lines: Iterable[str], action: str,
                 fields: Iterable[tuple[str, str]], cancel: str, confirm_label: str,
                 env: Environment | None = None) -> HTMLResponse:
    """The page asking to confirm: ``lines`` say what will happen (already in the page's
    language), ``fields`` are the first post's values sent again (by "Confirm" and by "Cancel"),
    ``action`` the path both buttons post to and ``cancel`` the GET path (with its fragment) of
    the form, where the language switch leads."""
    # the language switch leads back to the form in the other language (this page's address
    # answers posts only): asking again there is one click, acting on a half-read page none
    return render(request, "cases_confirm.html", env=env, switch_to=cancel, me=me, lines=list(lines),
                  action=action, fields=list(fields), confirm_label=confirm_label)
