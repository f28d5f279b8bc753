"""Finance marts on the bundled sample, against oracles computed here in Python with Decimal.

Negotiated discounts (effective cost), client billing, invoice reconciliation, the weekly
unattributed view, the chargeback report's month-over-month columns and its ties to the team lines,
and the runaway-spend audit (with thresholds lowered so the sample has spikes) through alerts.py.
The hand-made edge cases (thresholds, rate changes, tolerance boundaries) are dbt unit tests in
models/marts/finance/_finance__unit_tests.yml and models/audit/_audit__unit_tests.yml.
"""

from __future__ import annotations

import csv
import json
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

import pytest
from harness import PROJECT_ROOT, Warehouse, new_warehouse

SEEDS = PROJECT_ROOT / "data" / "sample" / "org"
E24 = Decimal("1e-24")


def seed_rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def in_force(rows: list[dict[str, str]], key: tuple[str, ...], on: date, fields: tuple[str, ...]) -> dict[str, str] | None:
    """The seed row with the latest effective_from <= on among rows whose `fields` equal `key`."""
    candidates = [r for r in rows if tuple(r[f].strip().lower() for f in fields) == key
                  and date.fromisoformat(r["effective_from"]) <= on]
    return max(candidates, key=lambda r: r["effective_from"], default=None)


def pct(numerator: Decimal, denominator: Decimal) -> Decimal:
    """The exact ratio in percent, 4 decimals truncated toward zero (the marts' documented rounding)."""
    with localcontext() as context:
        context.prec = 80
        return (numerator * 100 / denominator).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


def test_effective_cost_applies_the_negotiated_discount(sample_warehouse: Warehouse) -> None:
    overrides = seed_rows("price_overrides.csv")
    events = sample_warehouse.query(
        "select event_key, provider, model_id, occurred_at, list_cost_usd, cost_usd from marts.fct_usage_events")
    discounted = 0
    for key, provider, model_id, occurred_at, list_cost, cost in events:
        if list_cost is None:
            assert cost is None, key
            continue
        day = occurred_at.date()
        row = (in_force(overrides, (provider, model_id or ""), day, ("provider", "model_id"))
               or in_force(overrides, (provider, ""), day, ("provider", "model_id"))
               or in_force(overrides, (provider, "*"), day, ("provider", "model_id")))
        factor = 1 - Decimal(row["discount_pct"]) / 100 if row else Decimal(1)
        assert cost == (list_cost * factor).quantize(E24, rounding=ROUND_HALF_UP), key
        discounted += row is not None
    assert discounted > 100  # the sample's overrides do apply


def test_team_lines_use_effective_cost_and_keep_list_cost(sample_warehouse: Warehouse) -> None:
    rows = sample_warehouse.query(
        "select m.month, m.cost_usd, m.list_cost_usd, e.cost_usd, e.list_cost_usd "
        "from (select month, sum(cost_usd) cost_usd, sum(list_cost_usd) list_cost_usd from marts.fct_team_monthly_spend group by 1) m "
        "join (select month, sum(cost_usd) cost_usd, sum(list_cost_usd) list_cost_usd from marts.fct_usage_events group by 1) e "
        "using (month) order by 1")
    assert len(rows) == 2
    for _, cost, list_cost, event_cost, event_list_cost in rows:
        assert (cost, list_cost) == (event_cost, event_list_cost)
        assert cost < list_cost


def test_client_billing_against_the_rates_seed(sample_warehouse: Warehouse) -> None:
    rates = seed_rows("client_rates.csv")
    events = sample_warehouse.query(
        "select lower(trim(customer)), month, occurred_at, cost_usd, input_tokens + output_tokens "
        "from marts.fct_usage_events where nullif(trim(customer), '') is not null")
    expected: dict[tuple[str, date], dict[str, Decimal | None]] = defaultdict(lambda: {"cost": Decimal(0), "billed": None})
    for customer, month, occurred_at, cost, tokens in events:
        line = expected[(customer, month)]
        line["cost"] += cost or 0
        rate = in_force(rates, (customer,), occurred_at.date(), ("customer",))
        if rate is None:
            continue
        if rate.get("rate_per_million_tokens"):
            billed = Decimal(tokens) * Decimal(rate["rate_per_million_tokens"]) / 1_000_000
        elif rate["markup_pct"]:
            billed = (cost * (1 + Decimal(rate["markup_pct"]) / 100)).quantize(E24, rounding=ROUND_HALF_UP)
        else:
            billed = cost
        line["billed"] = (line["billed"] or Decimal(0)) + billed
    actual = {(c, m): {"cost": cost, "billed": billed} for c, m, cost, billed in sample_warehouse.query(
        "select customer, month, cost_usd, billed_usd from marts.fct_client_billing")}
    assert actual == dict(expected)
    assert any(v["billed"] is None for v in actual.values())  # initech has no rate: visible, not $0
    margins = sample_warehouse.query("select billed_usd, cost_usd, margin_usd, margin_pct from marts.fct_client_billing "
                                     "where billed_usd is not null")
    for billed, cost, margin, margin_pct in margins:
        assert margin == billed - cost and margin_pct == pct(margin, billed)


def test_invoice_reconciliation_against_the_invoices_seed(sample_warehouse: Warehouse) -> None:
    invoices = {(r["provider"], r["month"]): Decimal(r["invoiced_usd"]) for r in seed_rows("provider_invoices.csv")}
    computed = sample_warehouse.query(
        "select provider, strftime(month, '%Y-%m'), sum(cost_usd), sum(list_cost_usd) from marts.fct_usage_events group by 1, 2")
    rows = {(p, m.strftime("%Y-%m")): (c, lc, inv, var, vp, ok) for p, m, c, lc, inv, var, vp, ok in sample_warehouse.query(
        "select provider, month, cost_usd, list_cost_usd, invoiced_usd, variance_usd, variance_pct, within_tolerance "
        "from marts.fct_invoice_reconciliation")}
    assert set(rows) == {(p, m) for p, m, _, _ in computed} | set(invoices)
    over = []
    for provider, month, cost, list_cost in computed:
        invoiced = invoices.get((provider, month))
        got = rows[(provider, month)]
        assert got[:3] == (cost, list_cost, invoiced)
        if invoiced is not None:
            variance_pct = pct(invoiced - cost, invoiced)
            assert got[3:] == (invoiced - cost, variance_pct, abs(variance_pct) <= 2)
            if abs(variance_pct) > 2:
                over.append((provider, month))
    assert over == [("openai", "2026-10")]  # the sample's invoice seeded 2.6 % over


def test_invoice_warning_is_reported_not_failed(sample_warehouse: Warehouse) -> None:
    results = json.loads((sample_warehouse.root / "target" / "run_results.json").read_text())
    status = {r["unique_id"].split(".")[2]: r["status"] for r in results["results"]}
    assert status.get("warn_invoice_variance_over_tolerance") == "warn"


def test_weekly_unattributed_view(sample_warehouse: Warehouse) -> None:
    rows = sample_warehouse.query(
        "select a.occurred_at, a.team_id, a.allocated_cost_usd from marts.fct_cost_allocations a")
    weeks: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for occurred_at, team, cost in rows:
        year, week, _ = occurred_at.date().isocalendar()
        label = f"{year}-W{week:02d}"
        weeks[label][1] += cost or 0
        if team == "unattributed":
            weeks[label][0] += cost or 0
    actual = {w: [u, t] for w, u, t in sample_warehouse.query(
        "select iso_week, unattributed_cost_usd, total_cost_usd from marts.rpt_unattributed_weekly")}
    assert actual == dict(weeks)
    starts = sample_warehouse.query("select week_start, iso_week from marts.rpt_unattributed_weekly")
    assert all(s.weekday() == 0 and f"{s.isocalendar()[0]}-W{s.isocalendar()[1]:02d}" == w for s, w in starts)


def test_chargeback_month_over_month(sample_warehouse: Warehouse) -> None:
    lines = {(m.strftime("%Y-%m"), t): (cents, prev, change, mom) for m, t, cents, prev, change, mom in sample_warehouse.query(
        "select month, team_id, cost_cents, previous_month_cents, mom_change_cents, mom_change_pct from marts.rpt_chargeback_monthly")}
    costs = {(m.strftime("%Y-%m"), t): c for m, t, c in sample_warehouse.query(
        "select month, team_id, cost_usd from marts.fct_team_monthly_spend")}
    assert set(lines) == set(costs)
    for (month, team), (cents, prev, change, mom) in lines.items():
        if month == "2026-09" or ("2026-09", team) not in costs:  # no previous month: NULL, not 0 or -100 %
            assert (prev, change, mom) == (None, None, None), (month, team)
        else:
            assert prev == lines[("2026-09", team)][0] and change == cents - prev
            assert mom == pct(costs[(month, team)] - costs[("2026-09", team)], costs[("2026-09", team)])
    assert ("2026-10", "growth-labs") in lines  # a team new in October
    total = sum(c for (m, _), c in costs.items() if m == "2026-10")
    cents = sum(v[0] for (m, _), v in lines.items() if m == "2026-10")
    assert cents == int((total * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def daily_spikes_oracle(wh: Warehouse, multiple: Decimal, min_usd: Decimal, min_days: int) -> set[tuple[str, date, Decimal]]:
    spend: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for team, day, cost in wh.query("select team_id, cast(occurred_at as date), allocated_cost_usd from marts.fct_cost_allocations"):
        spend[(team, day)] += cost or 0
    last = max(day for _, day in spend)
    first: dict[str, date] = {}
    for team, day in spend:
        first[team] = min(first.get(team, day), day)
    spikes = set()
    for team, start in first.items():
        day = start
        while day <= last:
            history = [spend.get((team, start + timedelta(days=i)), Decimal(0))
                       for i in range((max(start, day - timedelta(days=28)) - start).days, (day - start).days)]
            today = spend.get((team, day), Decimal(0))
            if len(history) >= min_days and today >= min_usd and today > Decimal(statistics.median(history)) * multiple:
                spikes.add((team, day, today))
            day += timedelta(days=1)
    return spikes


@pytest.fixture(scope="module")
def sensitive_anomalies(sample_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A copy of the sample warehouse whose spend_anomalies uses low thresholds (it has no spikes at the defaults): a
    kept table, rebuilt because its digest covers the thresholds (variables its code names)."""
    wh = new_warehouse(tmp_path_factory.mktemp("anomalies"))
    shutil.copy2(sample_warehouse.db, wh.db)
    wh.dbt("run", "-s", "audit_spend_anomalies", "--vars", "{anomaly_multiple: 2, anomaly_min_usd: 0.5}")
    return wh


def test_daily_spikes_match_an_independent_median(sensitive_anomalies: Warehouse) -> None:
    expected = daily_spikes_oracle(sensitive_anomalies, Decimal(2), Decimal("0.5"), 7)
    actual = set(sensitive_anomalies.query(
        "select team_id, day, spend_usd from audit.spend_anomalies where anomaly_kind = 'daily_spike'"))
    assert actual == expected and len(expected) >= 1


def test_defaults_flag_no_spike_on_the_sample(sample_warehouse: Warehouse) -> None:
    assert daily_spikes_oracle(sample_warehouse, Decimal(3), Decimal(5), 7) == set()
    assert sample_warehouse.scalar("select count(*) from audit.spend_anomalies where anomaly_kind = 'daily_spike'") == 0


def test_outlier_requests_are_the_top_five_per_month(sample_warehouse: Warehouse) -> None:
    for month in ("2026-09-01", "2026-10-01"):
        top = sample_warehouse.query(
            "select event_key from marts.fct_usage_events where month = ? and cost_usd > 0 "
            "order by cost_usd desc, event_key limit 5", [month])
        listed = sample_warehouse.query(
            "select event_key from audit.spend_anomalies where anomaly_kind = 'outlier_request' and month = ? "
            "order by cost_rank", [month])
        assert listed == top


def run_alerts(wh: Warehouse, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tokenledger", "alerts", "--db", str(wh.db), *args],
                          capture_output=True, text=True)


def test_alerts_report_spikes_and_outliers(sensitive_anomalies: Warehouse) -> None:
    for month in ("2026-09", "2026-10"):
        result = run_alerts(sensitive_anomalies, "--month", month, "--format", "json")
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        anomalies = [line for line in lines if line["kind"] == "spend_anomaly"]
        expected = sensitive_anomalies.query(
            "select anomaly_kind, team_id, cast(day as varchar) from audit.spend_anomalies "
            "where strftime(month, '%Y-%m') = ? order by all", [month])
        assert sorted((a["anomaly_kind"], a["team_id"], a["day"]) for a in anomalies) == expected
        budgets = {line["status"] for line in lines if line["kind"] == "budget"}
        spikes = any(a["anomaly_kind"] == "daily_spike" for a in anomalies)
        worst = 2 if "critical" in budgets else 1 if ("warning" in budgets or spikes) else 0
        assert result.returncode == worst
    text = run_alerts(sensitive_anomalies, "--month", "2026-10").stdout
    assert "OUTLIER  #1" in text
