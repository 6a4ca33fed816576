"""No user-facing text written inline as a Spanish/English pair: texts live in the catalogue
(messages.yaml, publish/web/texts.yaml) and code names them by key (``t``, ``both``, ``pair``,
``CasesError(key=…)``). The walk finds the three shapes such pairs took before they were moved:

- a dict literal ``{"es": "…", "en": "…"}`` whose two values are written texts;
- two written texts side by side as a call's positional arguments (``Invalid("…", "…")``,
  ``Verification(False, n, id, "…", "…")``) or as a 2-tuple (``("El caso", "The case")``);
- ``es="…"`` / ``en="…"`` keyword arguments.

The command line's help texts are named by key too (``help=cli_help("cli.help.…")``, cli_help.py):
a written ``help=`` text, or a command or group declared without ``help=`` (Typer would show its
function's docstring, written in both languages at once), is caught as well.

The API's documentation texts are named by key too (``summary=api_text("api.doc.…")``,
api_texts.py): a ``summary=``, ``description=`` or ``title=`` written in place in a route, a
parameter (``Query``, ``Path``…), a model field (``Field``) or an app, or a response's
``{"description": "…"}``, is caught: it would stay in one language in both OpenAPI documents.

A message the user reads (what is echoed or printed, a refusal raised, any raised exception's
message) written as one string in both languages is caught too: ``"Texto / Text"``,
``"cadena/chain"``, ``"use 'es' o/or 'en'"``. Paths, MIME types, URLs and units (``km/h``) are not
such pairs; comments and docstrings are not messages.

A "written text" is a string literal or f-string with a letter in it; route slugs and paths
(``{"es": "calendario", "en": "calendar"}``) are not texts.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import observatorio

PACKAGE = Path(observatorio.__file__).resolve().parent
#: A URL slug or path: the same page's address in each language, not a text.
SLUG = re.compile(r"^[/a-z0-9-]*$")
LETTER = re.compile(r"[^\W\d_]")
TWO_WORDS = re.compile(r"[^\W\d_]{2,}\s+[^\W\d_]{2,}")
#: Places that keep a pair on purpose, with why.
ALLOWED = {
    # The headings that split docs/methodology.md into its two halves: they match the document.
    "publish/web/analysis_bridge.py:METHODOLOGY_SECTIONS",
}
#: Sources describe themselves where they are declared (caveats, "via" credits, titles), as a
#: mapping file does in YAML: that is the source's metadata, reviewed with the source, not a
#: text of the application.
SOURCE_DECLARATIONS = PACKAGE / "sources" / "adapters"


def _written(node: ast.AST) -> str | None:
    """The text of a string literal or f-string (placeholders as ``{}``), if it has a letter."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    else:
        return None
    return text if LETTER.search(text) else None


def _sentence(node: ast.AST) -> bool:
    """A written text of two words or more (codes, column names, MIME types and markup are not)."""
    text = _written(node)
    return text is not None and TWO_WORDS.search(text) is not None


def _assigned_names(tree: ast.Module) -> dict[int, str]:
    """``id(value) -> NAME`` for module-level ``NAME = …`` (to allow a named constant)."""
    names: dict[int, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names[id(node.value)] = target.id
    return names


def inline_pairs(source: str) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for every inline Spanish/English pair in a module's source."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            by_key = {k.value: v for k, v in zip(node.keys, node.values, strict=True)
                      if isinstance(k, ast.Constant)}
            texts = [_written(by_key[lang]) for lang in ("es", "en") if lang in by_key]
            if len(texts) == 2 and None not in texts and not all(SLUG.match(str(t)) for t in texts):
                yield node.lineno, f'{{"es": {texts[0]!r}, "en": …}}'
        elif isinstance(node, ast.Call):
            for first, second in zip(node.args, node.args[1:], strict=False):
                if _sentence(first) and _sentence(second):
                    yield node.lineno, f"call with the texts {_written(first)!r}, {_written(second)!r}"
                    break
            langs = {k.arg: k.value for k in node.keywords if k.arg in ("es", "en")}
            if len(langs) == 2 and all(_written(v) for v in langs.values()):
                yield node.lineno, f"es={_written(langs['es'])!r}, en=…"
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
            first, second = node.elts
            if _sentence(first) and _sentence(second):
                yield node.lineno, f"pair {_written(first)!r}, {_written(second)!r}"


#: Typer declarations whose help Typer takes from a docstring when ``help=`` is not given.
DECLARES_A_COMMAND = ("command", "Typer")


def _help_is_written(value: ast.AST) -> bool:
    """A ``help=`` written in place: a literal, an f-string, or texts joined with ``+``."""
    if isinstance(value, ast.BinOp):
        return _help_is_written(value.left) or _help_is_written(value.right)
    return _written(value) is not None


def inline_help_texts(source: str) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for every command-line help text written in place (``help="…"``) and
    every command or Typer group declared without ``help=`` (its docstring would be the help)."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        helps = [k.value for k in node.keywords if k.arg == "help"]
        if helps and _help_is_written(helps[0]):
            yield node.lineno, "help= written in place: give cli_help(\"cli.help.…\") and add the key to messages.yaml"
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in DECLARES_A_COMMAND and not helps:
            yield node.lineno, f"{name}(…) without help=: Typer would show the docstring; give cli_help(\"cli.help.…\")"


#: Declarations whose ``summary=``/``description=``/``title=`` FastAPI or pydantic put in the
#: OpenAPI document: routes, routers, apps, parameters and model fields.
DECLARES_AN_API_TEXT = frozenset({
    "get", "post", "put", "patch", "delete", "head", "options", "api_route", "add_api_route",
    "APIRouter", "FastAPI", "Query", "Path", "Header", "Cookie", "Body", "Form", "File", "Field"})
API_TEXT_KEYWORDS = ("summary", "description", "title", "response_description")


def inline_api_texts(source: str) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for every OpenAPI text written in place: a ``summary=``,
    ``description=``, ``title=`` of a route, router, app, parameter or field, and a response's
    ``{"description": "…"}`` (``responses=``)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in DECLARES_AN_API_TEXT:
                continue
            for keyword in node.keywords:
                if keyword.arg in API_TEXT_KEYWORDS and _help_is_written(keyword.value):
                    yield node.lineno, (f"{name}({keyword.arg}=…) written in place: give "
                                        f"api_text(\"api.doc.…\") and add the key to messages.yaml")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "description" and _help_is_written(value):
                    yield node.lineno, ('{"description": …} written in place: give '
                                        'api_text("api.doc.…") and add the key to messages.yaml')


#: Calls whose text the user reads: Typer/Click output, prompts and refusals, Rich's print. Any
#: raised exception counts as well (its message ends up on a screen, a log or an API answer).
SHOWS_A_TEXT = frozenset({"echo", "secho", "print", "prompt", "confirm", "fail", "BadParameter", "UsageError",
                          "BadOptionUsage", "BadArgumentUsage", "ClickException", "Abort"})
#: Both languages in one string: "Texto / Text" (a spaced slash between words), "cadena/chain" (two
#: words joined by a slash, not in a path, URL, MIME type or unit), "o/or", "y/and".
IN_BOTH_LANGUAGES = re.compile(
    r"[^\W\d_]{2,}[^/\n]*?\s/\s+[^\W\d_]{2,}"
    r"|(?<![\w/.:\[-])(?!(?:application|audio|font|image|model|multipart|text|video)/)"
    r"[^\W\d_]{2,}/[^\W\d_]{2,}(?![\w/.])"
    r"|\b[oy]/(?:or|and)\b")


def _joined(node: ast.AST) -> str:
    """The text of a string, an f-string or strings joined with ``+`` (anything else as ``{}``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_joined(v) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _joined(node.left) + _joined(node.right)
    return "{}"


def _strings(node: ast.AST) -> Iterator[str]:
    """The written texts in ``node``: its strings, f-strings and strings joined with ``+``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant | ast.JoinedStr | ast.BinOp):
            yield _joined(sub)


def inline_bilingual_messages(source: str) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for every message shown to the user written as one string in Spanish and
    English: in a call of ``SHOWS_A_TEXT`` or in a raised exception."""
    tree = ast.parse(source)
    shown: dict[int, ast.Call] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            shown[id(node.exc)] = node.exc
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in SHOWS_A_TEXT:
                shown[id(node)] = node
    for call in shown.values():
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            bilingual = next((text for text in _strings(arg) if IN_BOTH_LANGUAGES.search(text)), None)
            if bilingual is not None:
                yield call.lineno, f"message in both languages {bilingual!r}: add a key to messages.yaml, show it with t(key, lang) (say(key) on the command line, cli_prompts.py)"
                break


#: What a command writes or asks on the command line: in the one language its command line
#: chose (cli_prompts.say), never both at once.
WRITES_TO_THE_COMMAND_LINE = frozenset({"echo", "secho", "print", "prompt", "confirm", "ask_hidden",
                                        "ask_hidden_twice", "ask_yes_no", "confirm_or_abort"})


def both_languages_written(source: str) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for every ``in_both(…)`` written or asked on the command line (an echo,
    a print, a prompt): the command line speaks the language it chose (``--lang``, else
    ``OBSERVATORIO_LANG``), so its messages are ``say(key)`` (cli_prompts.py). A refusal that
    names no language (an unknown ``--lang``) is raised, not written, and may speak both."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name not in WRITES_TO_THE_COMMAND_LINE:
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and getattr(sub.func, "id", getattr(sub.func, "attr", "")) == "in_both":
                yield node.lineno, f"{name}(in_both(…)): write it in the command line's language, say(key) (cli_prompts.py)"
                break


def _offences() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if SOURCE_DECLARATIONS in path.parents:
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        names = _assigned_names(tree)
        allowed_lines = {node.lineno for node in tree.body
                         if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
                         and f"{path.relative_to(PACKAGE)}:{names.get(id(node.value))}" in ALLOWED}
        found += [f"{path.relative_to(PACKAGE)}:{line}: {what}"
                  for line, what in inline_pairs(source) if line not in allowed_lines]
        found += [f"{path.relative_to(PACKAGE)}:{line}: {what}" for line, what in inline_help_texts(source)]
        found += [f"{path.relative_to(PACKAGE)}:{line}: {what}" for line, what in inline_api_texts(source)]
        found += [f"{path.relative_to(PACKAGE)}:{line}: {what}" for line, what in inline_bilingual_messages(source)]
        found += [f"{path.relative_to(PACKAGE)}:{line}: {what}" for line, what in both_languages_written(source)]
    return found


def test_no_text_is_written_inline_as_a_pair() -> None:
    offences = _offences()
    assert not offences, (
        "inline Spanish/English texts: add a key to messages.yaml (or publish/web/texts.yaml) and "
        "use t()/both()/pair() or CasesError(key=…, detail=…):\n" + "\n".join(offences))


def test_the_walk_finds_each_shape() -> None:
    """The rule is not vacuous: each shape of pair is caught, slugs and codes are not."""
    caught = [what for _, what in inline_pairs(
        'raise Invalid("No existe el caso.", f"No case {n}.", field="x")\n'
        'msg = {"es": "Cadena íntegra.", "en": "Chain intact."}\n'
        'es, en = {"case": ("El caso", "The case")}[kind]\n'
        'Label(es="Caso", en="Case")\n')]
    assert len(caught) == 4, caught
    assert not list(inline_pairs(
        'SLUG = {"es": "calendario", "en": "calendar"}\n'
        'UniqueConstraint("case_id", "step_id")\n'
        'raise Invalid(key="refusal.case.risk_level_required", detail={"field": "risk"})\n'
        'prefix = {"es": "", "en": ""}\n'))


def test_the_walk_finds_inline_help_texts() -> None:
    """A written help text, a bilingual docstring left as a command's help and a group without
    help are caught; help by key, and Typer options without help, are not."""
    caught = [what for _, what in inline_help_texts(
        'x: Annotated[str, typer.Option("--x", help="Archivo / file")]\n'
        'y: Annotated[str, typer.Argument(help=f"Los {N} primeros / the first {N}")]\n'
        'z: Annotated[str, typer.Option(help="Fuente / " "source")]\n'
        'w: Annotated[str, typer.Option(help="Mes " + "/ month")]\n'
        'app.command("load")(load)\n'
        '@app.command("list")\ndef listing() -> None:\n    """Listar / list."""\n'
        'sub = typer.Typer(no_args_is_help=True)\n')]
    assert len(caught) == 7, caught
    assert not list(inline_help_texts(
        'x: Annotated[str, typer.Option("--x", help=cli_help("cli.help.load.file"))]\n'
        'y: Annotated[str, typer.Option("--format")]\n'
        'app.command("load", help=cli_help("cli.help.load"))(load)\n'
        'sub = typer.Typer(help=cli_help("cli.help.cases"), no_args_is_help=True)\n'))


def test_the_walk_finds_messages_written_in_both_languages() -> None:
    """A refusal, an echo or a print written as "Spanish / English" (spaced or not) is caught;
    paths, URLs, MIME types, units, markup, keys and texts outside such calls are not."""
    caught = [what for _, what in inline_bilingual_messages(
        'raise typer.BadParameter("--lang: use \'es\' o/or \'en\'")\n'
        'raise typer.BadParameter("indique fuentes o --all / name sources or give --all")\n'
        'raise typer.BadParameter(f"--today {value!r}: use AAAA-MM-DD / use YYYY-MM-DD") from None\n'
        'typer.echo(f"  cadena/chain {chain:>2}  seq {seq:>8}  {tip}")\n'
        'err_console.print("Hecho" + " / done", markup=False)\n'
        'raise ValueError(f"fila {n} / row {n}")\n')]
    assert len(caught) == 6, caught
    assert not list(inline_bilingual_messages(
        'typer.echo(f"wrote {path} to docs/refresh.md and sources/calendar.yaml/")\n'
        'console.print(f"[bold]{t(\'analysis.mirror.reasons\', lang)}[/bold]", highlight=False)\n'
        'raise DownloadFailed("error.download_html", content_type="text/html")\n'
        'typer.echo("see https://example.org/datos/data and 30 km/h")\n'
        'typer.echo(f"{a} / {b}")\n'
        'raise typer.BadParameter(t("refresh.sources_or_all", st.lang))\n'
        'typer.echo(in_both("cases_cli.chain", "/"))\n'
        'reason = "stored / kept"  # not shown by this call\n'
        '# typer.echo("Texto / Text")\n'
        'def f():\n    """Listar / list."""\n'))


def test_the_walk_finds_inline_api_texts() -> None:
    """A route's summary, a parameter's, a field's or a response's description written in place
    is caught (an f-string too); texts named by key, and other keywords, are not."""
    caught = [what for _, what in inline_api_texts(
        '@router.get("/x", summary="Fuentes cargadas / loaded sources")\ndef x(): ...\n'
        'Start = Annotated[str, Query(description="first period")]\n'
        'P = Annotated[str, Path(description=f"{AGENCY}, or all")]\n'
        'class M(BaseModel):\n    total: int = Field(description="rows in the whole answer")\n'
        'R = {304: {"description": "Not modified"}}\n'
        'router.add_api_route("/y", y, description="The " + kind + " artefacts")\n'
        'app = FastAPI(title="Observatorio")\n')]
    assert len(caught) == 7, caught
    assert not list(inline_api_texts(
        '@router.get("/x", summary=api_text("api.doc.metadata.sources.summary"))\ndef x(): ...\n'
        'Start = Annotated[str, Query(description=api_text("api.doc.param.start"))]\n'
        'R = {304: {"description": api_text("api.doc.response.not_modified")}}\n'
        'row = {"description": c.description(lang), "label": "x"}\n'
        'session.execute(update(T).values(description=None))\n'
        'task = CaseTask(title=f"{LABEL} Seguimiento")\n'))


def test_the_walk_finds_both_languages_written_on_the_command_line() -> None:
    """An echo, a print or a question given ``in_both(…)`` is caught; the language's text
    (``say``, ``t``) and a refusal raised in both (an unknown language) are not."""
    caught = [what for _, what in both_languages_written(
        'typer.echo(in_both("cases_cli.schema_up_to_date", url=u))\n'
        'typer.echo(f"  {in_both(\'cases_cli.chain\', \'/\')} {chain:>2}")\n'
        'typer.prompt(i18n.in_both("cases_cli.new_password"), hide_input=True)\n'
        'confirm_or_abort(in_both("cases_cli.confirm_erase"))\n')]
    assert len(caught) == 4, caught
    assert not list(both_languages_written(
        'typer.echo(say("cases_cli.schema_up_to_date", url=u))\n'
        'typer.echo(t("refresh.summary", st.lang))\n'
        'raise typer.BadParameter(in_both("cli.lang_unknown"))\n'
        'msg["Subject"] = in_both("cases_cli.mail_subject")\n'))
