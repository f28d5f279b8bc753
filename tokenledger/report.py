#!/usr/bin/env python3
"""Write the month's chargeback report: one self-contained HTML page with charts (works offline).

    tokenledger report --month YYYY-MM [--out DIR] [--target duckdb|postgres|spark] [--db PATH] [--team TEAM] [--pdf]

The organisation's page (`chargeback-report-YYYY-MM.html`): the key figures, spend by team over
the months, budget utilisation, the confidence mix, the top drivers (model x agent), the weekly
unattributed share, the invoice variance per provider and the allocation memo's text. `--team TEAM`
writes that team's own page (`chargeback-report-YYYY-MM-TEAM.html`): its spend over the months, its
budget, its drivers and its confidence mix, and no other team's figure. `--pdf` also prints the page
to PDF with headless Chromium (`/usr/bin/chromium`, Debian's package `chromium`), from a print version
of the page: A4, charts of a fixed width without their toolbar, no chart split across two pages.

Every figure is read from the marts under the warehouse lock (`--target`: the engine they were built on,
default $DBT_TARGET, else duckdb; tokenledger.warehouse reads them, the same page on every engine); money is shown to the cent from the
marts' integer cents; percentages with one decimal (budget utilisation truncated, as the alerts show
it). "Events" are the usage events billed to the team lines (fct_team_monthly_spend.events: an event
shared among teams counts once on each of their lines), as in the chargeback and the memo. The memo
is rendered from its Markdown (tokenledger.mdhtml). Charts are Plotly, with plotly.js embedded once
in the page; month axes are labelled by month ("Oct 2026"). Key figures carry `data-figure`
attributes (and the team table `data-team`) so tests and scrapers can read them.
Exit 1 with a one-line message when the warehouse is missing or unbuilt, or the month or team has no data.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go

from tokenledger.common import (
    PROJECT_ROOT,
    file_name_part,
    last_build_problem,
    month_arg,
    percent,
)
from tokenledger.export import (
    RELATIONS as EXPORT_RELATIONS,
)
from tokenledger.export import (
    SAVINGS_NOTE,
    ExportError,
    MonthData,
    apply_publication,
    billed_events,
    fetch,
    month_total_cents,
    next_month,
    read_month,
    read_savings,
    relation_exists,
    render_memo,
    top_opportunities,
)
from tokenledger.mdhtml import to_html
from tokenledger.warehouse import WarehouseError, add_target_argument, label, open_marts, resolve_target

Row = dict[str, Any]
# Every relation the report reads: the export's (read_month, apply_publication, read_savings) and its charts'.
RELATIONS = (*EXPORT_RELATIONS, "marts.rpt_unattributed_weekly")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium", "chromium-browser")
PALETTE = {"HIGH": "#2b8a3e", "MEDIUM": "#f59f00", "LOW": "#e8590c"}
PRINT_WIDTH = 680  # CSS px of a chart in the PDF: A4 less 12 mm margins is 703 px wide
CHART_HEIGHT = 380
EVENTS_NOTE = ("Events: the usage events billed to each team line (an event shared among several teams counts once "
               "on each of their lines), so the team lines add up to the total — as in the chargeback and the memo.")


def cents(value: int | None) -> str:
    return "—" if value is None else f"${Decimal(value) / 100:,.2f}"


def usd(value: Decimal | None) -> str:
    return "—" if value is None else f"${value.quantize(Decimal('0.01')):,}"


def pct(value: Decimal | float | None, *, floor: bool = False) -> str:
    return percent(value, floor=floor, none="—")


def figure_html(fig: go.Figure, first: bool, for_print: bool = False) -> str:
    """The chart's div and script. For print: a fixed width that fits the page, no toolbar (modebar), static."""
    fig.update_layout(margin={"l": 60, "r": 20, "t": 50, "b": 50}, height=CHART_HEIGHT, template="plotly_white",
                      font={"family": "system-ui, sans-serif"})
    if for_print:
        fig.update_layout(width=PRINT_WIDTH)
        config = {"displayModeBar": False, "staticPlot": True, "responsive": False}
    else:
        config = {"displaylogo": False, "responsive": True}
    return str(fig.to_html(full_html=False, include_plotlyjs=bool(first), config=config))


def month_range(months: list[date]) -> list[date]:
    """Every month from the first to the last, so a month without spend shows as an empty slot."""
    out = [min(months)]
    while out[-1] < max(months):
        out.append(next_month(out[-1]))
    return out


# --------------------------------------------------------------------------------------------------
# Reading the marts
# --------------------------------------------------------------------------------------------------


def read_report(con: duckdb.DuckDBPyConnection, month: date, team: str | None) -> dict[str, Any]:
    where_team = "and team_id = ?" if team else ""
    params: list[Any] = [month, team] if team else [month]
    lines = fetch(con, f"select * from marts.rpt_chargeback_monthly where month = ? {where_team} "
                       "order by (team_id = 'unattributed'), cost_usd desc, team_id", params)
    if not lines:
        raise ExportError(f"no chargeback lines for {month:%Y-%m}" + (f" and team {team}" if team else ""))
    history = fetch(con, f"select month, team_id, cost_cents from marts.fct_team_monthly_spend where month <= ? {where_team} "
                         "order by month, team_id", params)
    budgets = fetch(con, "select scope_id as team_id, monthly_budget_usd, spend_to_date_usd, utilisation_pct, "
                         "forecast_utilisation_pct, status from marts.fct_budget_status "
                         f"where scope = 'team' and month = ? {'and scope_id = ?' if team else ''} order by scope_id", params)
    drivers = fetch(con, "select provider, model_id, agent, sum(cost_usd) as cost_usd, sum(cost_cents) as cost_cents "
                         f"from marts.rpt_chargeback_by_model_agent where month = ? {where_team} "
                         "group by all order by cost_usd desc nulls last limit 10", params)
    report: dict[str, Any] = {"lines": lines, "history": history, "budgets": budgets, "drivers": drivers}
    report["savings"] = read_savings(con, month, team) if relation_exists(con, "marts", "rpt_savings_opportunities") else None
    if team is None:
        report["weekly"] = fetch(con, "select week_start, iso_week, unattributed_pct, unattributed_cost_usd "
                                      "from marts.rpt_unattributed_weekly where week_start < ? order by week_start",
                                 [date(month.year + (month.month == 12), month.month % 12 + 1, 1)])
        report["invoices"] = fetch(con, "select provider, cost_usd, invoiced_usd, variance_usd, variance_pct, "
                                        "reconciliation_status from marts.fct_invoice_reconciliation where month = ? "
                                        "order by provider", [month])
    return report


def use_published(report: dict[str, Any], data: MonthData, month: date, team: str | None) -> None:
    """A closed month whose ledger moved shows its published lines, as the exports do (export.apply_publication):
    the team lines and the month's bar in the spend chart; the drivers, recomputed figures, are left out."""
    publication = data.memo.get("publication")
    if not publication or not publication["moved"]:
        return
    lines = [line for line in data.chargeback if team is None or line["team_id"] == team]
    if not lines:
        raise ExportError(f"no published chargeback line for {month:%Y-%m} and team {team}")
    report["lines"] = lines
    report["history"] = [row for row in report["history"] if row["month"] != month] + [
        {"month": month, "team_id": line["team_id"], "cost_cents": line["cost_cents"]} for line in lines]
    report["drivers"] = []
    report["published_version"] = publication["version"]


# --------------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------------


def spend_chart(history: list[Row]) -> go.Figure:
    teams = sorted({r["team_id"] for r in history}, key=lambda t: (t == "unattributed", t))
    months = month_range([r["month"] for r in history])
    by = {(r["month"], r["team_id"]): r["cost_cents"] for r in history}
    # Months as categories labelled "Oct 2026": a date axis labels a single month "00:00:00 Nov 1, 2026".
    labels = [f"{m:%b %Y}" for m in months]
    fig = go.Figure([go.Bar(name=t, x=labels, y=[(by.get((m, t)) or 0) / 100 for m in months],
                            hovertemplate="%{x}: $%{y:,.2f}") for t in teams])
    fig.update_layout(barmode="stack", title="Spend by team per month (USD)", yaxis_title="USD")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    return fig


def budget_chart(budgets: list[Row]) -> go.Figure:
    fig = go.Figure([go.Bar(x=[r["team_id"] for r in budgets], y=[float(r["utilisation_pct"] or 0) for r in budgets],
                            name="spent so far", text=[pct(r["utilisation_pct"], floor=True) for r in budgets],
                            hovertemplate="%{x}: %{text}"),
                     go.Scatter(x=[r["team_id"] for r in budgets],
                                y=[float(r["forecast_utilisation_pct"] or 0) for r in budgets],
                                text=[pct(r["forecast_utilisation_pct"], floor=True) for r in budgets],
                                hovertemplate="%{x}: %{text}", mode="markers",
                                marker={"size": 12, "symbol": "diamond"}, name="month-end forecast")])
    fig.add_hline(y=100, line_dash="dash", annotation_text="budget")
    fig.update_layout(title="Budget utilisation (% of the monthly budget)", yaxis_title="%")
    return fig


def confidence_chart(lines: list[Row]) -> go.Figure:
    teams = [r["team_id"] for r in lines if r["team_id"] != "unattributed"]
    rows = {r["team_id"]: r for r in lines}
    fig = go.Figure([go.Bar(name=level, x=teams, y=[float(rows[t][f"{level.lower()}_confidence_pct"] or 0) for t in teams],
                            marker_color=PALETTE[level], hovertemplate="%{x}: %{y:.1f}%")
                     for level in ("HIGH", "MEDIUM", "LOW")])
    fig.update_layout(barmode="stack", title="Confidence of the attribution (% of each team's cost)", yaxis_title="%")
    return fig


def drivers_chart(drivers: list[Row]) -> go.Figure:
    labels = [f"{r['model_id'] or '(unpriced)'} · {r['agent'] or '(no agent)'}" for r in drivers][::-1]
    fig = go.Figure(go.Bar(x=[(r["cost_cents"] or 0) / 100 for r in drivers][::-1], y=labels, orientation="h"))
    fig.update_layout(title="Top drivers: model × agent (USD)", xaxis_title="USD")
    return fig


def unattributed_chart(weekly: list[Row]) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[r["iso_week"] for r in weekly], y=[float(r["unattributed_pct"] or 0) for r in weekly],
                               mode="lines+markers", hovertemplate="%{x}: %{y:.1f}%"))
    fig.update_layout(title="Unattributed share of cost per ISO week (%)", yaxis_title="%")
    fig.update_xaxes(type="category")
    return fig


def invoice_chart(invoices: list[Row]) -> go.Figure:
    fig = go.Figure(go.Bar(x=[r["provider"] for r in invoices], y=[float(r["variance_usd"] or 0) for r in invoices],
                           text=[percent(r["variance_pct"], signed=True, none="—") for r in invoices],
                           hovertemplate="%{x}: $%{y:,.2f} (%{text})"))
    fig.update_layout(title="Invoice variance: invoiced − our effective cost (USD)", yaxis_title="USD")
    return fig


# --------------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #212529; }
h1 { margin-bottom: 0.2rem; } .sub { color: #666; margin-top: 0; }
.kpis { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.5rem 0; }
.kpi { border: 1px solid #dee2e6; border-radius: 8px; padding: 0.8rem 1.2rem; min-width: 180px; }
.kpi .v { font-size: 1.6rem; font-weight: 600; } .kpi .l { color: #666; font-size: 0.85rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0 2rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #dee2e6; padding: 0.4rem 0.6rem; text-align: left; } td.n { text-align: right; }
.note { color: #555; font-size: 0.85rem; margin-top: -1.4rem; }
.chart { margin: 1.5rem 0; border: 2px solid #adb5bd; border-radius: 4px; padding: 4px; }
.memo { background: #f8f9fa; padding: 0.2rem 1.2rem 0.8rem; border-radius: 8px; line-height: 1.45; }
.memo table { margin: 0.6rem 0 1rem; } .memo li { margin: 0.2rem 0; }
code { font-family: ui-monospace, monospace; font-size: 0.9em; background: #e9ecef; padding: 0 0.2em; border-radius: 3px; }
.closed { background: #e7f5ff; padding: 0.5rem 1rem; border-radius: 6px; }
.banner { background: #fff3bf; padding: 0.6rem 1rem; border-radius: 6px; font-weight: 600; }
@page { size: A4 portrait; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .chart { break-inside: avoid; page-break-inside: avoid; }
  .modebar, .modebar-container { display: none !important; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  tr, li, .kpis, .banner { break-inside: avoid; page-break-inside: avoid; }
  .memo { background: none; padding: 0; }
}
"""


def kpi(label: str, value: str, key: str) -> str:
    return f'<div class="kpi"><div class="v" data-figure="{key}">{html.escape(value)}</div><div class="l">{html.escape(label)}</div></div>'


def team_table(lines: list[Row]) -> str:
    head = ("<tr><th>team</th><th>cost</th><th>vs last month</th><th>budget used</th><th>high confidence</th>"
            "<th>billed events</th></tr>")
    body = "".join(
        f'<tr data-team="{html.escape(r["team_id"])}"><td>{html.escape(r["team_name"] or r["team_id"])}</td>'
        f'<td class="n" data-figure="team_cost_cents" data-cents="{r["cost_cents"]}">{cents(r["cost_cents"])}</td>'
        f'<td class="n">{percent(r["mom_change_pct"], signed=True, none="—")}</td>'
        f'<td class="n">{pct(r["budget_utilisation_pct"], floor=True)}</td>'
        f'<td class="n">{pct(r["high_confidence_pct"])}</td><td class="n">{r["events"]:,}</td></tr>'
        for r in lines)
    return f"<table>{head}{body}</table>"


def savings_section(savings: list[Row] | None, team: str | None) -> str:
    """The savings section: the organisation's top opportunities over all teams (cents summed over the teams),
    or the team's own opportunities, each with its assumption (marts.rpt_savings_opportunities)."""
    if savings is None:
        return ""
    if not savings:
        return "<h2>Savings</h2><p class='note'>No opportunity found this month with the organisation's savings rules.</p>"
    rows = savings[:10] if team else top_opportunities(savings, 10)
    head = "<tr><th>opportunity</th><th>about</th><th>teams</th><th>events</th><th>could save</th><th>assumption</th></tr>"
    body = "".join(
        f'<tr data-opportunity="{html.escape(r["opportunity"])}" data-key="{html.escape(r["opportunity_key"])}">'
        f'<td>{html.escape(r["opportunity"].replace("_", " "))}</td><td>{html.escape(r["opportunity_key"])}</td>'
        f'<td>{html.escape(", ".join(r.get("teams", [r["team_id"]])))}</td><td class="n">{r["events"]:,}</td>'
        f'<td class="n" data-figure="saving_cents" data-cents="{r["saving_cents"]}">{cents(r["saving_cents"])}</td>'
        f'<td>{html.escape(r["assumption"])}</td></tr>'
        for r in rows)
    return (f"<h2>Savings</h2><table>{head}{body}</table><p class='note'>{html.escape(SAVINGS_NOTE)} Priced by the "
            "ledger's own pricing on each event's date, negotiated discounts on both sides; method in the memo.</p>")


def render(month: date, report: dict[str, Any], memo: str | None, team: str | None, for_print: bool = False) -> str:
    """The page; for_print: the version Chromium prints (charts of a fixed width, without their toolbar)."""
    lines = report["lines"]
    total = sum(r["cost_cents"] or 0 for r in lines)
    events, _ = billed_events(lines)
    showback = {r["billing_mode"] for r in lines} == {"showback"}
    unattributed = sum(r["cost_cents"] or 0 for r in lines if r["team_id"] == "unattributed")
    charts = [spend_chart(report["history"])]
    if report["budgets"]:
        charts.append(budget_chart(report["budgets"]))
    charts.append(confidence_chart(lines))
    if report["drivers"]:
        charts.append(drivers_chart(report["drivers"]))
    if team is None:
        if report["weekly"]:
            charts.append(unattributed_chart(report["weekly"]))
        if report["invoices"]:
            charts.append(invoice_chart(report["invoices"]))
    title = f"AI spend chargeback — {month:%B %Y}" + (f" — {lines[0]['team_name'] or team}" if team else "")
    kpis = [kpi("total cost" if team is None else "team cost", cents(total), "total_cents"),
            kpi("billed events", f"{events:,}", "events")]
    if team is None:
        kpis.append(kpi("unattributed", cents(unattributed), "unattributed_cents"))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='sub'>tokenledger · figures from the marts · month {month:%Y-%m} · "
        f"{'showback (not billed)' if showback else 'chargeback'}</p>",
        "<div class='banner'>SHOWBACK — NOT BILLED: for information only</div>" if showback else "",
        (f"<p class='closed' data-figure='published_version'>{month:%Y-%m} is closed: its published lines, version "
         f"{report['published_version']}; the breakdown by model and agent is left out (recomputed figures).</p>"
         if "published_version" in report else ""),
        f"<div class='kpis' data-total-cents='{total}'>{''.join(kpis)}</div>",
        team_table(lines),
        f"<p class='note'>{html.escape(EVENTS_NOTE)}</p>",
        *(f"<div class='chart'>{figure_html(fig, i == 0, for_print)}</div>" for i, fig in enumerate(charts)),
        savings_section(report.get("savings"), team),
    ]
    if memo is not None:
        parts.append(f"<h2>Allocation memo</h2><div class='memo'>{to_html(memo, heading_offset=2)}</div>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def find_chromium() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise ExportError("--pdf needs Chromium (Debian: apt-get install -y chromium)")


def print_pdf(page: Path, pdf: Path) -> None:
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(prefix="tokenledger-chromium-") as profile:
        result = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             f"--user-data-dir={profile}", "--virtual-time-budget=10000", f"--print-to-pdf={pdf}", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=180)
    if result.returncode != 0 or not pdf.is_file():
        raise ExportError(f"Chromium could not print the PDF: {result.stderr.strip().splitlines()[-1:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger report", description=__doc__.splitlines()[0])
    parser.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "exports", help="output directory (default exports/)")
    add_target_argument(parser)
    parser.add_argument("--db", type=Path, default=None,
                        help="the DuckDB warehouse file (default: $TOKENLEDGER_DB, else warehouse/tokenledger.duckdb)")
    parser.add_argument("--team", help="one team's own page (its figures only)")
    parser.add_argument("--pdf", action="store_true", help="also print the page to PDF with headless Chromium")
    args = parser.parse_args(argv)
    resolve_target(parser, args)
    if args.target == "duckdb" and not args.db.is_file():
        raise ExportError(f"no warehouse at {args.db} (run `make run` first)")
    team = args.team.strip().lower() if args.team else None
    where = label(args.target, args.db)
    with contextlib.ExitStack() as stack:
        try:
            con = stack.enter_context(open_marts(args.target, RELATIONS, args.db))
        except WarehouseError as exc:
            raise ExportError(str(exc)) from None
        except duckdb.Error as exc:
            raise ExportError(f"cannot open the warehouse {where} ({str(exc).splitlines()[0]})") from None
        try:
            if not relation_exists(con, "marts", "rpt_chargeback_monthly"):
                raise ExportError(f"the warehouse {where} has no marts (run `make build` first)")
            stale = last_build_problem(con)
            if stale is not None:
                raise ExportError(stale)
            report = read_report(con, args.month, team)
            data = read_month(con, args.month)
            apply_publication(con, data)
            use_published(report, data, args.month, team)
            memo = render_memo(data, month_total_cents(data)) if team is None else None
        except duckdb.Error as exc:
            raise ExportError(f"cannot read the marts of {where} ({str(exc).splitlines()[0]}); rebuild: make build") from None
    args.out.mkdir(parents=True, exist_ok=True)
    page = args.out / (f"chargeback-report-{args.month:%Y-%m}" + (f"-{file_name_part(team)}" if team else "") + ".html")
    tmp = page.with_name(page.name + ".tmp")
    tmp.write_text(render(args.month, report, memo, team), encoding="utf-8")
    tmp.replace(page)
    print(f"tokenledger: wrote {page}")
    if args.pdf:
        pdf = page.with_suffix(".pdf")
        with tempfile.TemporaryDirectory(prefix="tokenledger-print-") as folder:
            printed = Path(folder) / page.name
            printed.write_text(render(args.month, report, memo, team, for_print=True), encoding="utf-8")
            print_pdf(printed, pdf)
        print(f"tokenledger: wrote {pdf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
