"""Command-line commands of this area: ``indicators``, ``roles``, ``profile``, ``mirror``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from observatorio.cli_errors import fail
from observatorio.cli_help import cli_help
from observatorio.cli_state import state
from observatorio.errors import ObservatorioError
from observatorio.formula_guard_frame import neutral_frame
from observatorio.i18n import fmt_number, t

console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Freq(StrEnum):
    M = "M"
    A = "A"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help=cli_help("cli.help.format"))]
CountryOpt = Annotated[str | None, typer.Option("--country", "-c", help=cli_help("cli.help.country"))]
YearOpt = Annotated[int | None, typer.Option("--year", "-y", help=cli_help("cli.help.year"))]
FromOpt = Annotated[int | None, typer.Option("--from", help=cli_help("cli.help.from_year"))]
ToOpt = Annotated[int | None, typer.Option("--to", help=cli_help("cli.help.to_year"))]


@contextmanager
def _engine(ctx: typer.Context) -> Iterator[tuple[Any, str]]:
    """An indicator engine over the store named by ``--db``, and the output language."""
    from observatorio.analysis.indicators import IndicatorEngine
    from observatorio.store import Store

    st = state(ctx)
    try:
        with Store.open(st.db, read_only=True) as store:
            yield IndicatorEngine(store.con), st.lang
    except ObservatorioError as exc:
        fail(exc, st.lang, err_console)


def _dump_json(payload: Any) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def _dump_csv(frame: pd.DataFrame) -> None:
    neutral_frame(frame).to_csv(sys.stdout, index=False)


def _table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    table = Table(title=title)
    for h in headers:
        table.add_column(h, overflow="fold")
    for r in rows:
        table.add_row(*r)
    console.print(table)


def _n(value: Any, lang: str, digits: int = 0) -> str:
    return "—" if value is None or pd.isna(value) else fmt_number(value, lang, digits)


def _score(value: Any, lang: str) -> str:
    """A role's score with two decimals in the language's mark (0,53 in Spanish)."""
    return _n(value, lang, 2)


def _run(ctx: typer.Context, body: Callable[[Any, str], None]) -> None:
    """Run ``body(engine, lang)``; analysis input errors print in the chosen language."""
    with _engine(ctx) as (engine, lang):
        try:
            body(engine, lang)
        except ObservatorioError as exc:
            fail(exc, lang, err_console)


def indicators(
    ctx: typer.Context,
    indicator: Annotated[str | None, typer.Argument(help=cli_help("cli.help.indicators.indicator"))] = None,
    country: CountryOpt = None,
    freq: Annotated[Freq | None, typer.Option("--freq", help=cli_help("cli.help.freq"))] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The indicator catalogue, or one indicator's values with evidence (help: cli.help.indicators)."""
    from observatorio.analysis import views

    def body(engine: Any, lang: str) -> None:
        if indicator is None:
            records = views.catalogue_records(lang)
            if fmt is Format.json:
                _dump_json(records)
            elif fmt is Format.csv:
                _dump_csv(pd.DataFrame(records).assign(
                    sources=lambda f: f["sources"].map(",".join), caveats=lambda f: f["caveats"].map(" | ".join),
                    freqs=lambda f: f["freqs"].map(",".join)))
            else:
                _table(t("analysis.indicators.title", lang),
                       ["id", t("analysis.col.indicator", lang), t("analysis.col.unit", lang), "freq"],
                       [[r["id"], r["name"], r["unit"], ",".join(r["freqs"])] for r in records])
            return
        code = country.strip().upper() if country else None
        payload = views.indicator_values(engine, indicator, code, freq.value if freq else None, start, end, lang)
        if fmt is Format.json:
            _dump_json(payload)
        elif fmt is Format.csv:
            _dump_csv(pd.DataFrame(payload["values"], columns=["period", "value", "numerator", "denominator",
                                                               "months", "complete", "sources"]))
        else:
            meta = payload["indicator"]
            digits = 0 if meta["unit"] in ("PERSONS", "EVENTS") else 2
            _table(f"{meta['name']} — {code or '∑'} ({payload['freq']})",
                   [t("analysis.col.period", lang), t("analysis.col.value", lang), "num.", "den.",
                    t("analysis.col.months", lang), t("analysis.col.sources", lang)],
                   [[v["period"], _n(v["value"], lang, digits), _n(v["numerator"], lang),
                     _n(v["denominator"], lang), str(v["months"]), v["sources"]] for v in payload["values"]])
            console.print(meta["definition"], markup=False, highlight=False)
            console.print(meta["formula"], markup=False, highlight=False)
            for c in meta["caveats"]:
                console.print(f"• {c}", markup=False, highlight=False)

    _run(ctx, body)


def roles(
    ctx: typer.Context,
    country: CountryOpt = None,
    year: YearOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The countries' roles with evidence (help: cli.help.roles)."""
    from observatorio.analysis import views

    def body(engine: Any, lang: str) -> None:
        records = views.role_records(engine, views.check_country(country), year, lang)
        if fmt is Format.json:
            _dump_json(records)
            return
        frame = pd.DataFrame(views.role_rows(records, lang))
        if fmt is Format.csv:
            _dump_csv(frame)
            return
        # Sources and indicator ids are in the CSV/JSON forms: at 80 columns the table keeps
        # what a reader needs, with the evidence spelled out.
        _table(t("analysis.roles.title", lang, year=records[0]["year"] if records else "—"),
               [t("analysis.col.country", lang), t("analysis.col.role", lang), t("analysis.col.level", lang),
                t("analysis.col.score", lang), t("analysis.col.evidence", lang)],
               [[r["country"], r["role_name"], ("✔ " if r["held"] else "") + r["level_name"],
                 _score(r["score"], lang), r["evidence"]]
                for r in frame.to_dict("records")])

    _run(ctx, body)


def profile(
    ctx: typer.Context,
    iso3: Annotated[str, typer.Argument(help=cli_help("cli.help.profile.iso3"))],
    year: YearOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """A country's profile: roles, the CRM actions that apply and why (help: cli.help.profile)."""
    from observatorio.analysis import views

    def body(engine: Any, lang: str) -> None:
        prof = views.profile_record(engine, iso3, year, lang)
        if fmt is Format.json:
            _dump_json(prof)
            return
        if fmt is Format.csv:
            _dump_csv(pd.DataFrame([
                {"country": prof["country"], "year": prof["year"], "action": a["id"], "role": a["role"],
                 "subtheme": a["subtheme"], "urgent": a["urgent"], "text": a["text"],
                 "met_triggers": ";".join(tr["indicator"] for tr in a["triggers"] if tr["met"])}
                for a in prof["actions"]]))
            return
        held = [r["name"] for r in prof["roles"] if r["held"]]
        console.print(t("analysis.profile.title", lang, country=prof["country_name"], year=prof["year"],
                        roles=", ".join(held) or t("analysis.profile.none", lang)), markup=False)
        records = [{"country": prof["country"], "year": prof["year"], "roles": prof["roles"]}]
        frame = pd.DataFrame(views.role_rows(records, lang))
        _table(t("analysis.col.role", lang),
               [t("analysis.col.role", lang), t("analysis.col.level", lang), t("analysis.col.score", lang),
                t("analysis.col.evidence", lang)],
               [[r["role_name"], r["level_name"], _score(r["score"], lang), r["evidence"]]
                for r in frame.to_dict("records")])
        _table(t("analysis.profile.actions", lang),
               [t("analysis.col.action", lang), t("analysis.col.subtheme", lang), "", t("analysis.col.why", lang)],
               [[a["text"], f"{a['role_name']} · {a['subtheme_name']}",
                 t("analysis.urgent" if a["urgent"] else "analysis.standing", lang), _why(a, lang)]
                for a in prof["actions"]])
        _table(t("analysis.profile.indicators", lang),
               [t("analysis.col.indicator", lang), t("analysis.col.value", lang), t("analysis.col.year", lang)],
               [[h["name"], _n(h["value"], lang, 0 if h["unit"] in ("PERSONS", "EVENTS") else 2),
                 str(h["year"] or "—")] for h in prof["indicators"]])

    _run(ctx, body)


def _why(action: dict[str, Any], lang: str) -> str:
    parts = []
    for tr in action["triggers"]:
        if tr["met"] is None:
            state = t("analysis.level.no_data", lang)
        else:
            unit = f" {tr['change_unit']}" if tr["change_unit"] else ""
            state = f"{'✔' if tr['met'] else '✘'} {_n(tr['measured'], lang, 1)}{unit}"
        test = {"above": "≥", "below": "≤", "rising": "sube ≥" if lang == "es" else "rises ≥"}[tr["test"]]
        parts.append(f"{tr['indicator']} {test} {tr['threshold']:g}: {state}")
    return "\n".join(parts)


def mirror(
    ctx: typer.Context,
    freq: Annotated[Freq, typer.Option("--freq", help=cli_help("cli.help.freq"))] = Freq.M,
    pair: Annotated[str | None, typer.Option("--pair", help=cli_help("cli.help.mirror.pair"))] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=cli_help("cli.help.mirror.kind"))] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Mirror reconciliation between countries (help: cli.help.mirror)."""
    from observatorio.analysis import views

    def body(engine: Any, lang: str) -> None:
        payload = views.mirror_record(engine, freq.value, pair, kind, start, end, lang)
        if fmt is Format.json:
            _dump_json(payload)
            return
        frame = pd.DataFrame(payload["rows"], columns=["pair", "kind", "period", "a", "b", "gap", "gap_pct",
                                                       "months_a", "months_b", "complete"])
        if fmt is Format.csv:
            _dump_csv(frame)
            return
        _table(t("analysis.mirror.title", lang, freq=freq.value),
               [t("analysis.col.pair", lang), t("analysis.col.period", lang), "a", "b",
                t("analysis.col.gap", lang), t("analysis.col.gap_pct", lang)],
               [[r["pair"], r["period"] if freq is Freq.M else r["period"][:4], _n(r["a"], lang),
                 _n(r["b"], lang), _n(r["gap"], lang), _n(r["gap_pct"], lang, 1)]
                for r in payload["rows"]])
        console.print(f"[bold]{t('analysis.mirror.reasons', lang)}[/bold]", highlight=False)
        for p in payload["pairs"]:
            console.print(f"[bold]{p['id']}[/bold] — {p['movement']}", highlight=False)
            console.print(f"  a: {p['a']['label']}  |  b: {p['b']['label']}", markup=False, highlight=False)
            for r in p["reasons"]:
                console.print(f"  • {r['text']}", markup=False, highlight=False)

    _run(ctx, body)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("indicators", help=cli_help("cli.help.indicators"))(indicators)
    app.command("roles", help=cli_help("cli.help.roles"))(roles)
    app.command("profile", help=cli_help("cli.help.profile"))(profile)
    app.command("mirror", help=cli_help("cli.help.mirror"))(mirror)
