"""The semantic layer: `mf query` (MetricFlow, pinned dbt-metricflow) on the sample warehouse.

Two metrics grouped by team and month must equal marts.fct_team_monthly_spend exactly (total_cost =
cost_usd, list_cost = list_cost_usd), and the ratio and derived metrics by month equal the same
ratios computed here from the marts. mf reads the semantic manifest from the project's target/ and
has no --profiles-dir flag: it runs in a copy of the project with DBT_PROFILES_DIR set.
"""

from __future__ import annotations

import csv
import os
import subprocess
from decimal import Decimal

import pytest
from harness import BIN, PROJECT_ROOT, Warehouse, copy_project


@pytest.fixture(scope="module")
def mf(sample_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    project = copy_project(tmp_path_factory.mktemp("semantic") / "project")
    env = {**os.environ, "TOKENLEDGER_DB": str(sample_warehouse.db), "DBT_PROFILES_DIR": str(PROJECT_ROOT / "profiles"),
           "MF_DISABLE_UPDATE_CHECK": "1"}
    subprocess.run([str(BIN / "dbt"), "parse"], cwd=project, env=env, check=True, capture_output=True)

    def query(metrics: str, group_by: str) -> list[dict[str, str]]:
        out = project / f"{metrics.replace(',', '_')}.csv"
        result = subprocess.run([str(BIN / "mf"), "query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out)],
                                cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0 and out.is_file(), result.stdout[-2000:] + result.stderr[-2000:]
        with open(out, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    return query


def test_cost_metrics_by_team_and_month_equal_the_marts(mf, sample_warehouse: Warehouse) -> None:  # type: ignore[no-untyped-def]
    rows = mf("total_cost,list_cost", "allocation__team_id,metric_time__month")
    got = {(r["metric_time__month"][:10], r["allocation__team_id"]): (Decimal(r["total_cost"]), Decimal(r["list_cost"]))
           for r in rows}
    want = {(m.isoformat(), t): (c, lc) for m, t, c, lc in sample_warehouse.query(
        "select month, team_id, cost_usd, list_cost_usd from marts.fct_team_monthly_spend")}
    assert got.keys() == want.keys()
    for key, (cost, list_cost) in want.items():
        assert got[key] == (cost.normalize(), list_cost.normalize()) or (
            abs(got[key][0] - cost) < Decimal("1e-9") and abs(got[key][1] - list_cost) < Decimal("1e-9")), key


def test_ratio_and_derived_metrics_by_month(mf, sample_warehouse: Warehouse) -> None:  # type: ignore[no-untyped-def]
    rows = {r["metric_time__month"][:10]: r for r in mf(
        "total_cost,unattributed_share,high_confidence_share,cost_per_1k_tokens,events,tokens", "metric_time__month")}
    for month, total, unattributed, high, events, tokens, event_cost in sample_warehouse.query(
        """select a.month, sum(a.allocated_cost_usd), sum(case when a.team_id = 'unattributed' then a.allocated_cost_usd else 0 end),
                  sum(case when a.confidence = 'HIGH' then a.allocated_cost_usd else 0 end), e.events, e.tokens, e.cost
           from marts.fct_cost_allocations as a
           join (select month, count(*) as events, sum(input_tokens + output_tokens) as tokens, sum(cost_usd) as cost
                 from marts.fct_usage_events group by 1) as e using (month)
           group by a.month, e.events, e.tokens, e.cost"""):
        row = rows[month.isoformat()]
        assert int(row["events"]) == events and int(row["tokens"]) == tokens
        assert abs(Decimal(row["total_cost"]) - total) < Decimal("1e-9")
        assert abs(float(row["unattributed_share"]) - float(unattributed / total)) < 1e-12
        assert abs(float(row["high_confidence_share"]) - float(high / total)) < 1e-12
        assert abs(float(row["cost_per_1k_tokens"]) - float(event_cost * 1000 / tokens)) < 1e-12


def test_potential_savings_by_team_month_and_opportunity_equal_the_mart(mf, sample_warehouse: Warehouse) -> None:  # type: ignore[no-untyped-def]
    rows = mf("potential_savings_usd", "savings_event__team_id,savings_event__opportunity,metric_time__month")
    got = {(r["metric_time__month"][:10], r["savings_event__team_id"], r["savings_event__opportunity"]):
           Decimal(r["potential_savings_usd"]) for r in rows}
    want = {(m.isoformat(), t, o): s for m, t, o, s in sample_warehouse.query(
        "select month, team_id, opportunity, sum(saving_usd) from marts.rpt_savings_opportunities group by all")}
    assert want and got.keys() == want.keys()
    for key, saving in want.items():
        assert abs(got[key] - saving) < Decimal("1e-9"), key
