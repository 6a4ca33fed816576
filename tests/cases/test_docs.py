"""The documentation states the policy as it is: a change to policy.yaml must update docs/cases.md."""

from __future__ import annotations

import re
from pathlib import Path

from observatorio.cases.policy import get_policy

DOC = Path(__file__).resolve().parents[2] / "docs" / "cases.md"
ABBREV = {"own": "own", "organisation": "org", "country": "country", "region": "region"}


def _table(text: str, first_header: str) -> list[list[str]]:
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {first_header} |"))
    rows = []
    for ln in lines[start:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if rows and not cells[0].startswith("`") and not set(cells[0]) <= {"-"}:
            break
        rows.append(cells)
    return [r for r in rows if not set(r[0]) <= {"-"}]


def test_matrix_documented_exactly() -> None:
    policy = get_policy()
    rows = _table(DOC.read_text("utf-8"), "action")
    header, body = rows[0], rows[1:]
    assert header[1:] == list(policy.roles)
    documented = {r[0].strip("`"): r[1:] for r in body}
    assert set(documented) == set(policy.actions), "every action must be documented"
    for action, cells in documented.items():
        expected = [ABBREV.get(policy.roles[r].grants.get(action, ""), "—") for r in policy.roles]
        assert cells == expected, action


def test_field_groups_documented() -> None:
    policy = get_policy()
    rows = _table(DOC.read_text("utf-8"), "role")[1:]
    documented = {r[0].strip("`"): r[1] for r in rows}
    for name, role in policy.roles.items():
        assert documented[name] == (", ".join(sorted(role.field_groups)) or "—")


def test_cli_commands_documented() -> None:
    text = DOC.read_text("utf-8")
    for cmd in ("init", "demo", "audit verify", "audit list", "retention run", "person export", "person erase",
                "org add", "org list", "user add", "user grant", "user revoke", "user list", "user activate"):
        assert re.search(rf"observatorio cases {cmd}\b", text), cmd
