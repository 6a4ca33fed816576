"""Every action code an audit entry may hold has its label in both languages in the catalogue
(``cases_forms.audit_action.<code>``, what the audit trail page shows: cases/audit_labels.py).

The codes are the policy's actions and every code the source hands to the audit: the literal or
module constant passed where a call takes an action (``AccessEvent(code, …)``, ``ctx.log(d, code,
…)``, ``ctx.deny(exc, code, …)``, ``record_denial(code, …)``, ``audit_operator(s, op, code, …)``,
``load_case(ctx, id, code, audit_action=code)``…). A call that passes a code through a variable
of another name than those known here fails too: name the new shape below, so that no code
escapes the walk.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from observatorio.cases.policy import get_policy
from observatorio.i18n import has_message, t

SRC = Path(__file__).resolve().parents[2] / "src" / "observatorio"
CODE = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")
#: callee name: (position of the action argument, keywords that carry a code)
CALLS = {
    "AccessEvent": (0, ("action",)), "log": (1, ("action",)), "deny": (1, ("action", "policy_action")),
    "record_denial": (0, ("action", "policy_action")), "audit_operator": (2, ("action",)),
    "load_case": (2, ("action", "audit_action")), "load_case_for_work": (2, ("action", "audit_action")),
    "load_person": (2, ("action", "audit_action")), "_as_receiver": (2, ("audit_action",)),
    "write_case": (3, ("action",)),
}
#: Arguments that pass on a code their caller names (the walk finds it at the caller, or it is a
#: policy action): a function's ``action``/``audit_action`` parameter and what is made of them.
PASSED_ON = frozenset({"action", "audit_action", "logged", "event[0]", "policy_action"})


def _constants(tree: ast.Module) -> dict[str, str]:
    """The module's string constants (``A = "x"`` and ``A, B = "x", "y"``)."""
    found: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = (zip(target.elts, node.value.elts, strict=False)
                     if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                     else [(target, node.value)])
            for name, value in pairs:
                if isinstance(name, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found[name.id] = value.value
    return found


def audited_codes() -> tuple[set[str], list[str]]:
    """The codes the source hands to the audit, and the arguments the walk could not read."""
    codes: set[str] = set()
    unread: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name not in CALLS:
                continue
            position, keywords = CALLS[name]
            args = [node.args[position]] if len(node.args) > position else []
            args += [k.value for k in node.keywords if k.arg in keywords]
            for arg in args:
                value = arg.value if isinstance(arg, ast.Constant) else \
                    constants.get(arg.id) if isinstance(arg, ast.Name) else None
                if isinstance(value, str) and CODE.match(value):
                    codes.add(value)
                elif ast.unparse(arg) not in PASSED_ON and not (isinstance(arg, ast.Constant) and arg.value is None):
                    unread.append(f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(arg)}")
    return codes, unread


def test_the_walk_reads_every_code_it_is_handed() -> None:
    codes, unread = audited_codes()
    assert unread == [], "an action code passed in a shape this test cannot read: add it to CALLS or PASSED_ON"
    # the walk still finds the codes of each way of auditing (a broken walk would find none)
    assert {"case.list", "case.notes.read", "user.grant", "case.retype", "submission.provide",
            "practice.moderate", "statistics.publish", "referral.consent", "referral.transfer",
            "case.share.end"} <= codes


def test_every_audited_action_has_a_label_in_both_languages() -> None:
    codes = audited_codes()[0] | set(get_policy().actions)
    missing = sorted(c for c in codes if not has_message(f"cases_forms.audit_action.{c}"))
    assert missing == [], f"add cases_forms.audit_action.<code> to publish/web/texts.yaml for: {missing}"
    for code in codes:
        es, en = (t(f"cases_forms.audit_action.{code}", lang) for lang in ("es", "en"))
        assert es.strip() and en.strip() and es != code and en != code, code
