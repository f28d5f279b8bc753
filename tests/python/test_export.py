"""tokenledger export: the chargeback CSV / XLSX and the allocation memo, checked against the marts.

Expected values are computed here from the warehouse with independent queries (month totals summed
in Python with Decimal from fct_usage_events.cost_usd, rounded half-up), never read back from the
script's own output. Two warehouses: the session's sample (chargeback mode) and one clone on a copy
of the project whose teams seed carries formula-injection names, built in showback mode with the
dev environment subsidised by platform (only the models downstream of the teams seed are rebuilt).
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from harness import ORG, Warehouse, copy_project, new_warehouse
from openpyxl.worksheet.worksheet import Worksheet

from tokenledger.common import neutralise

pytestmark = pytest.mark.slow

D = Decimal
CENT = D("0.01")
BANNER = "SHOWBACK — NOT BILLED: for information only"
OCT, SEP = date(2026, 10, 1), date(2026, 9, 1)

# Team names (and one cost center) a spreadsheet would run as formulas; ids unchanged.
INJECTION_TEAMS = '''team_id,team_name,cost_center,merged_into,merged_on
search,"=HYPERLINK(""http://x"",""y"")",CC-100,,
support,@SUM(A1),CC-200,,
platform,-2+3,+CC-300,,
data-science,Data Science,CC-400,,
finance,Finance,CC-500,,
growth-labs,Growth Labs,CC-600,search,2026-10-01
'''
INJECTED = {"search": '=HYPERLINK("http://x","y")', "support": "@SUM(A1)", "platform": "-2+3"}
SHOWBACK_VARS = "{chargeback_mode: showback, subsidized_environments: [dev], central_team_id: platform}"


# --------------------------------------------------------------------------------------------------
# Helpers and fixtures
# --------------------------------------------------------------------------------------------------


def run_export(wh: Warehouse, month: str, out: Path, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenledger", "export", "--month", month, "--out", str(out),
         "--db", str(db or wh.db)],
        capture_output=True, text=True, env=wh.env(),
    )


def export(wh: Warehouse, month: str, out: Path) -> Path:
    result = run_export(wh, month, out)
    assert result.returncode == 0, result.stderr
    return out


def month_total_cents(wh: Warehouse, month: date) -> int:
    """Σ fct_usage_events.cost_usd over the month, in Python Decimal, rounded half-up to cents."""
    costs = [row[0] for row in wh.query(
        "select cost_usd from marts.fct_usage_events where month = ? and cost_usd is not null", [month])]
    return int((sum(costs, D(0)) * 100).quantize(D(1), rounding=ROUND_HALF_UP))


def list_total_cents(wh: Warehouse, month: date) -> int:
    costs = [row[0] for row in wh.query(
        "select list_cost_usd from marts.fct_usage_events where month = ? and list_cost_usd is not null", [month])]
    return int((sum(costs, D(0)) * 100).quantize(D(1), rounding=ROUND_HALF_UP))


def mart_rows(wh: Warehouse, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with duckdb.connect(str(wh.db), read_only=True) as con:
        result = con.execute(sql, params)
        names = [column[0] for column in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(comment lines, rows): a leading `#` line is the showback banner, the rest is plain CSV."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    comments = [line.rstrip("\r\n") for line in lines if line.startswith("#")]
    return comments, list(csv.DictReader([line for line in lines if not line.startswith("#")]))


def sheet_rows(sheet: Worksheet, header_row: int) -> tuple[list[str], list[dict[str, Any]]]:
    """(header, rows as {header: cell}) below the header row."""
    header = [cell.value for cell in sheet[header_row]]
    rows = [dict(zip(header, cells)) for cells in sheet.iter_rows(min_row=header_row + 1)]
    return header, rows


def dec(value: float | int | None) -> Decimal | None:
    """A number read back from the XLSX as the exact decimal it was written as."""
    return None if value is None else D(str(value))


def pct1(part: Decimal, whole: Decimal) -> str:
    return f"{(part / whole * 100).quantize(D('0.1'), rounding=ROUND_HALF_UP)}"


@pytest.fixture(scope="module")
def sample_exports(sample_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports") / "out"  # created by the script
    export(sample_warehouse, "2026-09", out)
    return export(sample_warehouse, "2026-10", out)


@pytest.fixture(scope="module")
def showback(sample_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The sample's warehouse, cloned onto a project copy with injection team names; showback + subsidy."""
    tmp = tmp_path_factory.mktemp("export_showback")
    project = copy_project(tmp / "project")
    (project / ORG / "teams.csv").write_text(INJECTION_TEAMS, encoding="utf-8")
    wh = new_warehouse(tmp / "wh", project_dir=project)
    shutil.copy2(sample_warehouse.db, wh.db)
    wal = sample_warehouse.db.with_name(sample_warehouse.db.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, wh.db.with_name(wh.db.name + ".wal"))
    wh.dbt("seed", "--select", "teams")
    wh.dbt("run", "--select", "teams+", "--vars", SHOWBACK_VARS)
    return wh


@pytest.fixture(scope="module")
def showback_exports(showback: Warehouse) -> Path:
    return export(showback, "2026-10", showback.root / "exports")


# --------------------------------------------------------------------------------------------------
# Formula injection: the rule itself
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")', "-2+3"])
def test_formula_triggers_are_prefixed_with_a_quote(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Search", "", "CC-100", "a=b", "3-2", "gpt-5.4 / ranker", "'quoted", "(none)"])
def test_safe_text_is_unchanged(text: str) -> None:
    assert neutralise(text) == text


# --------------------------------------------------------------------------------------------------
# The chargeback CSV and XLSX on the sample (chargeback mode)
# --------------------------------------------------------------------------------------------------


def test_csv_lines_match_the_mart(sample_warehouse: Warehouse, sample_exports: Path) -> None:
    comments, rows = read_csv(sample_exports / "chargeback-2026-10.csv")
    assert comments == []  # chargeback mode: no banner
    marts = {row["team_id"]: row for row in mart_rows(
        sample_warehouse, "select * from marts.rpt_chargeback_monthly where month = ?", [OCT])}
    lines = [row for row in rows if row["row_type"] == "team"]
    assert sorted(row["team_id"] for row in lines) == sorted(marts)
    for line in lines:
        mart = marts[line["team_id"]]
        assert line["month"] == "2026-10"
        assert line["cost_cents"] == str(mart["cost_cents"])
        assert D(line["cost_usd"]) == D(mart["cost_cents"]) / 100 and re.fullmatch(r"-?\d+\.\d\d", line["cost_usd"])
        # the exact cost rounded to the cent is within one cent of the published cents
        assert abs(mart["cost_usd"].quantize(CENT, ROUND_HALF_UP) - D(line["cost_usd"])) <= CENT
        for name in ("team_name", "cost_center", "rollup_team_id", "budget_status", "top_driver_1", "top_driver_2",
                     "top_driver_3", "billing_mode"):
            assert line[name] == (mart[name] or ""), name
        for name in ("events", "unpriced_events", "mom_change_pct", "budget_utilisation_pct", "high_confidence_pct",
                     "medium_confidence_pct", "low_confidence_pct"):
            assert line[name] == ("" if mart[name] is None else str(mart[name])), name
        previous = mart["previous_month_cents"]
        assert line["previous_month_cost_usd"] == ("" if previous is None else f"{D(previous) / 100:.2f}")
        assert line["mom_change_usd"] == ("" if previous is None else f"{D(mart['cost_cents'] - previous) / 100:.2f}")
        assert line["budget_usd"] == ("" if mart["budget_usd"] is None else f"{mart['budget_usd']:.2f}")
    # support fell this month: a negative number stays a plain number (no quote)
    support = next(line for line in lines if line["team_id"] == "support")
    assert support["mom_change_usd"].startswith("-") and D(support["mom_change_usd"]) < 0
    assert support["mom_change_pct"].startswith("-")


def test_csv_totals_row_is_the_month_total_to_the_cent(sample_warehouse: Warehouse, sample_exports: Path) -> None:
    for month, day in (("2026-09", SEP), ("2026-10", OCT)):
        _, rows = read_csv(sample_exports / f"chargeback-{month}.csv")
        total = rows[-1]
        assert total["row_type"] == "total" and [r["row_type"] for r in rows].count("total") == 1
        expected = month_total_cents(sample_warehouse, day)
        assert total["cost_cents"] == str(expected)
        assert D(total["cost_usd"]) == D(expected) / 100
        assert sum(D(row["cost_usd"]) for row in rows[:-1]) == D(total["cost_usd"])
        assert D(total["list_cost_usd"]) == D(list_total_cents(sample_warehouse, day)) / 100
        assert sum(D(row["list_cost_usd"]) for row in rows[:-1]) == D(total["list_cost_usd"])


def test_xlsx_chargeback_sheet_cell_by_cell(sample_warehouse: Warehouse, sample_exports: Path) -> None:
    book = openpyxl.load_workbook(sample_exports / "chargeback-2026-10.xlsx")
    assert book.sheetnames == ["Chargeback", "By model and agent", "By project, env, customer", "Savings"]
    sheet = book["Chargeback"]
    assert sheet.freeze_panes == "A2"
    header, rows = sheet_rows(sheet, 1)
    assert all(cell.font.bold for cell in sheet[1])
    for name in ("team_id", "team_name", "cost_center", "cost_usd", "cost_cents", "list_cost_usd", "events",
                 "previous_month_cost_usd", "mom_change_pct", "budget_usd", "budget_utilisation_pct", "budget_status",
                 "high_confidence_pct", "medium_confidence_pct", "low_confidence_pct", "top_driver_1",
                 "top_driver_2", "top_driver_3", "billing_mode"):
        assert name in header
    marts = {row["team_id"]: row for row in mart_rows(
        sample_warehouse, "select * from marts.rpt_chargeback_monthly where month = ?", [OCT])}
    lines = [row for row in rows if row["row_type"].value == "team"]
    assert sorted(row["team_id"].value for row in lines) == sorted(marts)
    for line in lines:
        mart = marts[line["team_id"].value]
        cost = line["cost_usd"]
        assert cost.data_type == "n" and dec(cost.value) == D(mart["cost_cents"]) / 100
        assert "$" in cost.number_format and "0.00" in cost.number_format
        assert line["cost_cents"].value == mart["cost_cents"]
        assert line["events"].value == mart["events"]
        assert line["team_name"].value == mart["team_name"] and line["team_name"].data_type == "s"
        for name in ("mom_change_pct", "budget_utilisation_pct", "high_confidence_pct", "low_confidence_pct"):
            if mart[name] is None:
                assert line[name].value is None, name
            else:
                assert dec(line[name].value) == mart[name] / 100, name
                assert line[name].number_format.endswith("%"), name
        if mart["budget_usd"] is not None:
            assert dec(line["budget_usd"].value) == mart["budget_usd"]
            assert "$" in line["budget_usd"].number_format
    support = next(line for line in lines if line["team_id"].value == "support")
    assert support["mom_change_usd"].data_type == "n" and support["mom_change_usd"].value < 0
    total = rows[-1]
    expected = month_total_cents(sample_warehouse, OCT)
    assert total["row_type"].value == "total" and all(cell.font.bold for cell in total.values())
    assert total["cost_cents"].value == expected and dec(total["cost_usd"].value) == D(expected) / 100
    assert "$" in total["cost_usd"].number_format
    assert sum(dec(row["cost_usd"].value) for row in lines) == D(expected) / 100
    assert sheet.column_dimensions["D"].width >= len("Platform Engineering")  # team_name fits


@pytest.mark.parametrize(("title", "mart", "key"), [
    ("By model and agent", "rpt_chargeback_by_model_agent", ("team_id", "provider", "model_id", "agent")),
    ("By project, env, customer", "rpt_chargeback_by_dimension", ("team_id", "project", "environment", "customer")),
])
def test_xlsx_breakdown_sheets_match_the_marts_and_tie(sample_warehouse: Warehouse, sample_exports: Path, title: str,
                                                       mart: str, key: tuple[str, ...]) -> None:
    sheet = openpyxl.load_workbook(sample_exports / "chargeback-2026-10.xlsx")[title]
    assert sheet.freeze_panes == "A2" and all(cell.font.bold for cell in sheet[1])
    _, rows = sheet_rows(sheet, 1)
    marts = {tuple(row[k] for k in key): row for row in mart_rows(
        sample_warehouse, f"select * from marts.{mart} where month = ?", [OCT])}
    details = [row for row in rows if row["row_type"].value == "detail"]
    assert len(details) == len(marts)
    for row in details:
        expected = marts[tuple(row[k].value for k in key)]
        assert row["cost_cents"].value == expected["cost_cents"]
        assert dec(row["cost_usd"].value) == D(expected["cost_cents"]) / 100
        assert row["events"].value == expected["events"]
        assert "$" in row["cost_usd"].number_format
    total = rows[-1]
    cents = month_total_cents(sample_warehouse, OCT)
    assert total["row_type"].value == "total" and total["cost_cents"].value == cents
    assert dec(total["cost_usd"].value) == D(cents) / 100
    assert sum(row["cost_cents"].value for row in details) == cents
    assert dec(total["list_cost_usd"].value) == D(list_total_cents(sample_warehouse, OCT)) / 100


def test_mom_is_empty_without_a_previous_month(sample_exports: Path) -> None:
    _, rows = read_csv(sample_exports / "chargeback-2026-09.csv")
    assert all(row["mom_change_pct"] == "" and row["previous_month_cost_usd"] == "" for row in rows)
    _, cells = sheet_rows(openpyxl.load_workbook(sample_exports / "chargeback-2026-09.xlsx")["Chargeback"], 1)
    assert all(row["mom_change_pct"].value is None and row["mom_change_usd"].value is None for row in cells)
    memo = (sample_exports / "allocation-memo-2026-09.md").read_text(encoding="utf-8")
    assert "Previous month (2026-08): no data." in memo
    assert "No data for 2026-08" in memo
    team_rows = [line for line in memo.splitlines() if line.startswith("| ") and "(" in line]
    assert team_rows and all(line.rstrip().endswith("| n/a |") for line in team_rows)


# --------------------------------------------------------------------------------------------------
# The memo: every figure equals an independent query
# --------------------------------------------------------------------------------------------------


def amount(text: str) -> Decimal:
    return D(text.replace("$", "").replace(",", ""))


def test_memo_headline_and_team_table(sample_warehouse: Warehouse, sample_exports: Path) -> None:
    wh = sample_warehouse
    memo = (sample_exports / "allocation-memo-2026-10.md").read_text(encoding="utf-8")
    total = month_total_cents(wh, OCT)
    assert amount(re.search(r"\*\*Total effective cost: (\$[\d,.]+)\*\*", memo).group(1)) == D(total) / 100
    listed = list_total_cents(wh, OCT)
    found = re.search(r"List cost (\$[\d,.]+); negotiated discounts saved (\$[\d,.]+)", memo)
    assert amount(found.group(1)) == D(listed) / 100 and amount(found.group(2)) == D(listed - total) / 100
    # events: billed to the team lines (a shared event once per team), the figure the report and the CSV show
    events, unpriced = wh.query("select sum(events), sum(unpriced_events) from marts.fct_team_monthly_spend "
                                "where month = ?", [OCT])[0]
    assert f"Events: {events:,} ({unpriced} unpriced" in memo and "counts once on each of their lines" in memo
    csv_events = sum(int(row["events"]) for row in csv.DictReader(
        (sample_exports / "chargeback-2026-10.csv").read_text(encoding="utf-8").splitlines()) if row["row_type"] == "team")
    assert csv_events == events
    previous = month_total_cents(wh, SEP)
    found = re.search(r"Previous month \(2026-09\): (\$[\d,.]+); change ([+-]\$[\d,.]+)", memo)
    assert amount(found.group(1)) == D(previous) / 100
    assert amount(found.group(2).replace("+", "")) == D(total - previous) / 100
    assert "Chargeback:" in memo and BANNER not in memo

    # per-team table: cost (cents), share and MoM, from fct_team_monthly_spend
    spend = {(m, t): (c, cents) for m, t, c, cents in wh.query(
        "select month, team_id, cost_usd, cost_cents from marts.fct_team_monthly_spend where month in (?, ?)", [SEP, OCT])}
    exact_total = sum((c for (m, _), (c, _) in spend.items() if m == OCT), D(0))
    table = re.findall(r"^\| (.+) \((\S+)\) \| (.*) \| (\$[\d,.]+) \| ([\d.]+)% \| (\S+) \|$", memo, re.MULTILINE)
    assert sorted(team for _, team, *_ in table) == sorted(t for (m, t) in spend if m == OCT)
    for _, team, _, cost, share, mom in table:
        exact, cents = spend[(OCT, team)]
        assert amount(cost) == D(cents) / 100
        assert abs(D(share) - D(pct1(exact, exact_total))) <= D("0.1")
        before = spend.get((SEP, team))
        if before is None or before[0] == 0:
            assert mom == "n/a"
        else:
            assert D(mom.rstrip("%")) == D(pct1(exact - before[0], before[0]))
    assert sum(amount(cost) for _, _, _, cost, _, _ in table) == D(total) / 100
    assert f"| **Total** | | **${D(total) / 100:,.2f}** |" in memo


def test_memo_confidence_mix_and_unattributed(sample_warehouse: Warehouse, sample_exports: Path) -> None:
    wh = sample_warehouse
    memo = (sample_exports / "allocation-memo-2026-10.md").read_text(encoding="utf-8")
    by_confidence = dict(wh.query("select confidence, sum(allocated_cost_usd) from marts.fct_cost_allocations "
                                  "where month = ? and allocated_cost_usd is not null group by 1", [OCT]))
    whole = sum(by_confidence.values(), D(0))
    shown = []
    for level in ("HIGH", "MEDIUM", "LOW", "UNATTRIBUTED"):
        found = re.search(rf"{level} (\$[\d,.]+) \(([\d.]+)%\)", memo)
        exact = by_confidence.get(level, D(0))
        assert abs(amount(found.group(1)) - exact) < CENT  # cents by largest remainder: within a cent
        assert found.group(2) == pct1(exact, whole)
        shown.append(amount(found.group(1)))
    assert sum(shown) == D(month_total_cents(wh, OCT)) / 100
    unattributed = wh.scalar("select count(*) from marts.fct_usage_events e join marts.fct_cost_allocations a "
                             "using (event_key) where e.month = ? and a.team_id = 'unattributed'", [OCT])
    assert f"({unattributed} events; audit.unattributed_events)" in memo


def test_memo_method_and_caveats(sample_warehouse: Warehouse, sample_exports: Path) -> None:
    wh = sample_warehouse
    memo = (sample_exports / "allocation-memo-2026-10.md").read_text(encoding="utf-8")
    # The spine in its order, then the rules in force in October (seeds: usage from 10-01, fixed from 10-16).
    positions = [memo.index(step) for step in ("(1) the request's team tag", "(2) the owner of the event's agent",
                                               "(3) the team named by a team API key", "(4) the person's team",
                                               "(5) the agent's shared-agent rule", "(6) otherwise")]
    assert positions == sorted(positions)
    rules = wh.query("select agent, method, cast(effective_from as date) as f from seeds.shared_agent_rules order by 1, 3")
    in_force = [(a, m_, f) for i, (a, m_, f) in enumerate(rules)
                if f < date(2026, 11, 1) and (i + 1 == len(rules) or rules[i + 1][0] != a or rules[i + 1][2] > OCT)]
    assert [(m_, str(f)) for _, m_, f in in_force] == [("usage", "2026-10-01"), ("fixed", "2026-10-16")]
    for agent, method, since in in_force:
        assert re.search(rf"{agent} — .*`{method}` \([^)]*\) from {since}", memo)
    assert "support 50%, data-science 30%, finance 20%" in memo
    assert "No subsidy applied this month" in memo
    assert "largest remainder" in memo

    # Unpriced events: count and models (seeded unknown model acme-llm-7b), missing not zero.
    unpriced = wh.query("select model_requested, count(*) from marts.fct_usage_events "
                        "where month = ? and list_cost_usd is null group by 1", [OCT])
    billed = wh.scalar("select sum(unpriced_events) from marts.fct_team_monthly_spend where month = ?", [OCT])
    assert billed == sum(n for _, n in unpriced)  # the sample's unpriced events are not shared among teams
    assert f"Unpriced events: {billed}" in memo
    for model, count in unpriced:
        assert f"{model} (" in memo and f"× {count}" in memo
    assert "missing from every figure here, not zero" in memo

    # Invoices: computed independently from the events and the invoices seed; over 2% is named.
    computed = dict(wh.query("select provider, sum(cost_usd) from marts.fct_usage_events where month = ? "
                             "group by 1", [OCT]))
    for provider, invoiced in wh.query("select provider, invoiced_usd from seeds.provider_invoices "
                                       "where month = '2026-10'"):
        ours = computed[provider]
        assert f"{provider} computed ${ours.quantize(CENT, ROUND_HALF_UP):,} vs invoiced ${D(invoiced):.2f}" in memo
        over = abs((D(invoiced) - ours) / D(invoiced) * 100) > 2
        assert (f"**{provider} is over the 2% tolerance**" in memo) == over
    assert "**openai is over the 2% tolerance**" in memo  # the sample's invoice is $0.82 above our cost

    # Shared logins, budgets at or over their warning threshold, spikes.
    for (login,) in wh.query("select login_id from audit.shared_logins where month = ?", [OCT]):
        assert login in memo
    budgets = wh.query("select scope, scope_id, status from marts.fct_budget_status where month = ? and "
                       "utilisation_pct >= warn_pct", [OCT])
    assert budgets
    for scope, scope_id, status in budgets:
        assert f"{scope} {scope_id} {status.upper()} — " in memo
    # the spend as published (a team's chargeback cents), utilisation to one decimal, truncated
    for scope, scope_id, status, cents, utilisation in wh.query(
            "select scope, scope_id, status, spend_to_date_cents, utilisation_pct from marts.fct_budget_status "
            "where month = ? and utilisation_pct >= warn_pct", [OCT]):
        shown = utilisation.quantize(D("0.1"), rounding=ROUND_FLOOR)
        assert f"{scope} {scope_id} {status.upper()} — ${D(cents) / 100:,.2f} of " in memo
        assert re.search(rf"{scope} {scope_id} {status.upper()} — [^(]+\({shown}%\)", memo), (scope_id, shown)
        if scope == "team":
            assert cents == wh.scalar("select cost_cents from marts.fct_team_monthly_spend where month = ? "
                                      "and team_id = ?", [OCT, scope_id])
    assert len(re.findall(r"(?:CRITICAL|WARNING) — ", memo)) == len(budgets)
    assert wh.scalar("select count(*) from audit.spend_anomalies where anomaly_kind = 'daily_spike' and month = ?",
                     [OCT]) == 0
    assert "Spend anomalies (daily spikes, audit.spend_anomalies): none." in memo


def test_memo_what_changed(sample_warehouse: Warehouse, sample_exports: Path) -> None:
    memo = (sample_exports / "allocation-memo-2026-10.md").read_text(encoding="utf-8")
    # org/agent_directory.csv: infra-oncall moves from platform to search on 2026-10-15; no agent became shared.
    moved = sample_warehouse.query("select agent, team_id from seeds.agent_directory "
                                   "where effective_from >= '2026-10-01' and effective_from < '2026-11-01'")
    assert moved == [("infra-oncall", "search")]
    assert "Ownership changes (agent directory): infra-oncall platform → search from 2026-10-15." in memo
    assert "New shared agents: none." in memo
    assert "No restatements recorded" in memo
    # Model shares moved by less than 10 pp between September and October (independent query on the events).
    shares = {}
    for month in (SEP, OCT):
        rows = dict(sample_warehouse.query("select coalesce(model_id, '(unknown)'), coalesce(sum(cost_usd), 0) "
                                           "from marts.fct_usage_events where month = ? group by 1", [month]))
        shares[month] = {model: cost / sum(rows.values()) * 100 for model, cost in rows.items()}
    assert shares[SEP].keys() == shares[OCT].keys()
    assert all(abs(shares[OCT][m] - shares[SEP][m]) < 10 for m in shares[OCT])
    assert "appeared or disappeared): none." in memo


# --------------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------------


def test_exit_1_for_a_month_without_data(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    result = run_export(sample_warehouse, "2026-08", tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no data for 2026-08" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_exit_1_for_a_missing_warehouse(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    result = run_export(sample_warehouse, "2026-10", tmp_path / "out", db=tmp_path / "missing.duckdb")
    assert result.returncode == 1 and "no warehouse" in result.stderr
    assert not (tmp_path / "missing.duckdb").exists()


# --------------------------------------------------------------------------------------------------
# Injection names end to end, showback banner, subsidy (the clone)
# --------------------------------------------------------------------------------------------------


def test_injection_names_are_neutralised_in_the_csv(showback: Warehouse, showback_exports: Path) -> None:
    _, rows = read_csv(showback_exports / "chargeback-2026-10.csv")
    names = {row["team_id"]: row["team_name"] for row in rows if row["row_type"] == "team"}
    for team, name in INJECTED.items():
        assert names[team] == "'" + name
    platform = next(row for row in rows if row["team_id"] == "platform")
    assert platform["cost_center"] == "'+CC-300"
    for row in rows:  # no text cell can start a formula; numbers stay numbers
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")) and not re.match(r"-\D", value)


def test_injection_names_are_neutralised_in_the_xlsx(showback: Warehouse, showback_exports: Path) -> None:
    book = openpyxl.load_workbook(showback_exports / "chargeback-2026-10.xlsx")
    for sheet in book:
        _, rows = sheet_rows(sheet, 2)  # row 1 is the showback banner
        for row in rows:
            for cell in row.values():
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.data_type == "s":
                    assert not str(cell.value).startswith(("=", "+", "-", "@", "\t", "\r")), cell.coordinate
        names = {row["team_id"].value: row["team_name"] for row in rows if row["row_type"].value != "total"}
        for team, name in INJECTED.items():
            if team in names:
                assert names[team].value == "'" + name and names[team].data_type == "s"
    _, rows = sheet_rows(book["Chargeback"], 2)
    assert {row["team_id"].value for row in rows} >= set(INJECTED)
    platform = next(row for row in rows if row["team_id"].value == "platform")
    assert platform["cost_center"].value == "'+CC-300"


def test_showback_banner_in_both_files(showback: Warehouse, showback_exports: Path) -> None:
    comments, rows = read_csv(showback_exports / "chargeback-2026-10.csv")
    first = (showback_exports / "chargeback-2026-10.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first == f"# {BANNER}" and comments == [first]
    assert rows[0]["row_type"] == "team" and all(row["billing_mode"] in ("showback", "") for row in rows)
    book = openpyxl.load_workbook(showback_exports / "chargeback-2026-10.xlsx")
    for sheet in book:
        assert sheet["A1"].value == BANNER
        assert sheet.freeze_panes == "A3"  # banner and header stay in view
        assert sheet["A2"].value == "row_type" and all(cell.font.bold for cell in sheet[2])
    memo = (showback_exports / "allocation-memo-2026-10.md").read_text(encoding="utf-8")
    assert BANNER in memo.splitlines()[2]


def test_showback_totals_still_tie_and_the_memo_names_the_subsidy(showback: Warehouse,
                                                                    showback_exports: Path) -> None:
    cents = month_total_cents(showback, OCT)
    _, rows = read_csv(showback_exports / "chargeback-2026-10.csv")
    assert rows[-1]["cost_cents"] == str(cents)
    book = openpyxl.load_workbook(showback_exports / "chargeback-2026-10.xlsx")
    for sheet in book:
        _, cells = sheet_rows(sheet, 2)
        if sheet.title == "Savings":  # estimates, not billed lines: its last row is a note, not a total
            assert cells[-1]["row_type"].value == "note"
            continue
        assert cells[-1]["row_type"].value == "total" and cells[-1]["cost_cents"].value == cents
    memo = (showback_exports / "allocation-memo-2026-10.md").read_text(encoding="utf-8")
    subsidised = showback.scalar("select sum(allocated_cost_usd) from marts.fct_cost_allocations "
                                 "where month = ? and basis = 'subsidy'", [OCT])
    assert subsidised > 0
    assert (f"events in the dev environment(s) are paid by the central team platform (basis `subsidy`, "
            f"${subsidised.quantize(CENT, ROUND_HALF_UP):,} this month)") in memo
    # the memo shows the injected names as plain Markdown text (no spreadsheet there), pipes escaped
    assert '=HYPERLINK("http://x","y") (search)' in memo


def test_savings_sheet_and_csv_are_the_marts_published_cents(sample_warehouse: Warehouse, sample_exports: Path) -> None:
    marts = {(row["team_id"], row["opportunity"], row["opportunity_key"]): row for row in mart_rows(
        sample_warehouse, "select * from marts.rpt_savings_opportunities where month = ?", [OCT])}
    assert marts
    _, rows = sheet_rows(openpyxl.load_workbook(sample_exports / "chargeback-2026-10.xlsx")["Savings"], 1)
    details = [row for row in rows if row["row_type"].value == "opportunity"]
    assert len(details) == len(marts) and rows[-1]["row_type"].value == "note"
    for row in details:
        mart = marts[(row["team_id"].value, row["opportunity"].value, row["opportunity_key"].value)]
        assert row["saving_cents"].value == mart["saving_cents"]
        assert dec(row["saving_usd"].value) == D(mart["saving_cents"]) / 100 and "$" in row["saving_usd"].number_format
        assert row["assumption"].value == mart["assumption"] and row["events"].value == mart["events"]
    _, csv_rows = read_csv(sample_exports / "savings-2026-10.csv")
    assert [r["saving_cents"] for r in csv_rows[:-1]] == [str(row["saving_cents"].value) for row in details]
    # the memo lists the month's largest opportunity with its cents summed over the teams, and says the rules overlap
    memo = (sample_exports / "allocation-memo-2026-10.md").read_text(encoding="utf-8")
    largest: dict[tuple[str, str], int] = {}
    for (_, opportunity, key), mart in marts.items():
        largest[(opportunity, key)] = largest.get((opportunity, key), 0) + mart["saving_cents"]
    (opportunity, key), cents = max(largest.items(), key=lambda item: item[1])
    assert "## Savings opportunities" in memo and "savings do not add up across rules" in memo
    assert f"- **{opportunity.replace('_', ' ')}** — {key}: could save **${D(cents) / 100:,.2f}**" in memo
