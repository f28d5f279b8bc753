"""Budgets, their status and the scheduler's alerts on the bundled sample (org/budgets.csv).

Thresholds at exactly 80% / 100% and the run-rate forecast are pinned by hand in the dbt unit
tests (models/marts/_marts__budget_unit_tests.yml); here: the alerts script end to end, and that
team budgets tie to fct_team_monthly_spend.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import ROUND_FLOOR, Decimal

from harness import Warehouse


def alerts(wh: Warehouse, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tokenledger", "alerts", "--db", str(wh.db), *args],
                          capture_output=True, text=True)


def test_exit_status_follows_the_worst_status(sample_warehouse: Warehouse) -> None:
    assert alerts(sample_warehouse, "--month", "2026-10").returncode == 2  # platform over its $20 budget
    assert alerts(sample_warehouse, "--month", "2026-09").returncode == 1  # warnings only
    quiet = alerts(sample_warehouse, "--month", "2026-08")
    assert quiet.returncode == 0 and "no budget alerts" in quiet.stdout


def test_json_lines_match_the_mart(sample_warehouse: Warehouse) -> None:
    result = alerts(sample_warehouse, "--month", "2026-10", "--format", "json")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    lines = [line for line in lines if line["kind"] == "budget"]
    expected = sample_warehouse.query(
        "select scope, scope_id, status from marts.fct_budget_status "
        "where month = '2026-10-01' and (status <> 'ok' or forecast_status <> 'ok') order by 1, 2")
    assert sorted((a["scope"], a["scope_id"], a["status"]) for a in lines) == expected


def test_platform_october_by_hand(sample_warehouse: Warehouse) -> None:
    # org/budgets.csv: platform's budget is $20 from 2026-10-01 (it was $25), thresholds 80 / 100, throttle.
    cost = sample_warehouse.scalar(
        "select cost_usd from marts.fct_team_monthly_spend where month = '2026-10-01' and team_id = 'platform'")
    row = sample_warehouse.query(
        "select monthly_budget_usd, spend_to_date_usd, utilisation_pct, status, action_due from marts.fct_budget_status "
        "where scope = 'team' and scope_id = 'platform' and month = '2026-10-01'")
    budget, spend, utilisation, status, action = row[0]
    assert budget == Decimal("20") and spend == cost
    micro = (cost * 1_000_000).to_integral_value(rounding=ROUND_FLOOR)
    assert utilisation == (micro / Decimal(20_000_000) * 100).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR)
    assert (status, action) == (("critical", "throttle") if utilisation >= 100 else ("warning", "alert"))


def test_budget_changes_are_snapshotted(sample_warehouse: Warehouse) -> None:
    rows = sample_warehouse.query(
        "select effective_from, monthly_budget_usd from snapshots.snap_budgets where scope_id = 'platform' order by 1")
    assert [(str(d), b) for d, b in rows] == [("2026-09-01", Decimal("25")), ("2026-10-01", Decimal("20"))]


def test_alerts_show_the_published_cents_and_one_decimal(sample_warehouse: Warehouse) -> None:
    # a team's spend is the cents of its chargeback line (largest remainder), never a re-rounding of the
    # exact spend; people read the utilisation to one decimal, truncated (the status uses the exact value)
    text = alerts(sample_warehouse, "--month", "2026-10").stdout
    rows = sample_warehouse.query(
        "select scope, scope_id, status, spend_to_date_cents, utilisation_pct from marts.fct_budget_status "
        "where month = '2026-10-01' and (status <> 'ok' or forecast_status <> 'ok')")
    assert rows
    for scope, scope_id, status, cents, utilisation in rows:
        shown = utilisation.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
        assert f"{status.upper():8} {scope} {scope_id} 2026-10: ${Decimal(cents) / 100:,.2f} of " in text
        assert f"({shown}%) as of" in text
        # October is over: its forecast is its spend, in the same cents
        assert f"{scope_id} 2026-10: ${Decimal(cents) / 100:,.2f} of " in text
        assert re.search(rf"{scope_id} 2026-10: (\$[\d,.]+) of .* forecast \1 ", text), scope_id
        if scope == "team":
            line = sample_warehouse.scalar("select cost_cents from marts.rpt_chargeback_monthly "
                                           "where month = '2026-10-01' and team_id = ?", [scope_id])
            assert cents == line
    assert not re.findall(r"\d\.\d{2,}%", text)
    lines = [json.loads(line) for line in alerts(sample_warehouse, "--month", "2026-10", "--format", "json").stdout.splitlines()]
    assert {(line["scope"], line["scope_id"]): line["spend_to_date_cents"] for line in lines if line["kind"] == "budget"} == {
        (scope, scope_id): cents for scope, scope_id, _, cents, _ in rows}
