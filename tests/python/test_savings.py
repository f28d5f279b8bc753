"""Savings opportunities on the bundled sample: every what-if figure recomputed independently.

The repricing rules (batch, model alternative, cache target, output outlier) are checked against genai-prices'
own calc_price on the changed usage or context, request by request; the retries rule against the ledger's
attempts; the team rows against the allocation shares; the published cents against a half-up total. The rule
details (tier cliff, a substitute whose price changes, discounts on both sides) are the dbt unit tests of
int_savings_scenarios (models/intermediate/_intermediate__savings_unit_tests.yml), each a hand calculation.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import genai_prices
from harness import PROJECT_ROOT, Warehouse

ORG = PROJECT_ROOT / "data" / "sample" / "org"
TOLERANCE = Decimal("1e-12")  # calc_price works in Python decimals; the marts are exact at 1e-24

ATTEMPT_COLUMNS = (
    "attempt_key, event_key, occurred_at, provider, model_provider_id, model_id, agent, is_batch, service_tier, "
    "uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, "
    "reasoning_tokens, list_cost_usd, event_month, is_failed, attempt_seq, has_usage, price_source"
)


def attempts(wh: Warehouse) -> list[dict[str, Any]]:
    names = [n.strip() for n in ATTEMPT_COLUMNS.split(",")]
    rows = wh.query(f"select {ATTEMPT_COLUMNS} from intermediate.int_usage_attempts_priced")
    return [dict(zip(names, row, strict=True)) for row in rows]


def calc(a: dict[str, Any], *, model: str | None = None, provider: str | None = None, batch: bool | None = None,
         uncached: int | None = None, read: int | None = None, output: int | None = None) -> Decimal:
    """genai-prices' price of one request, with the what-if's changes."""
    uncached = a["uncached_input_tokens"] if uncached is None else uncached
    read = a["cache_read_tokens"] if read is None else read
    w5, w1 = a["cache_write_5m_tokens"], a["cache_write_1h_tokens"]
    usage = genai_prices.Usage(
        input_tokens=uncached + read + w5 + w1, cache_read_tokens=read, cache_write_tokens=w5 + w1,
        cache_write_1h_tokens=w1, output_tokens=a["output_tokens"] if output is None else output,
    )
    context: dict[str, str] = {}
    if a["is_batch"] if batch is None else batch:
        context["processing"] = "batch"
    if a["service_tier"]:
        context["service_tier"] = a["service_tier"]
    result = genai_prices.calc_price(
        usage, model or a["model_id"], provider_id=provider or a["model_provider_id"],
        genai_request_timestamp=a["occurred_at"].replace(tzinfo=UTC), price_context=context or None,  # type: ignore[arg-type]
    )
    return Decimal(result.total_price)


def scenarios(wh: Warehouse, opportunity: str) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    rows = wh.query(
        "select event_key, opportunity_key, baseline_list_cost_usd, whatif_list_cost_usd from intermediate.int_savings_scenarios "
        "where opportunity = ? and whatif_list_cost_usd is not null", [opportunity])
    out: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for event_key, key, baseline, whatif in rows:
        assert (event_key, key) not in out or out[(event_key, key)] == (baseline, whatif)  # team-scoped copies agree
        out[(event_key, key)] = (baseline, whatif)
    return out


def org_rows(name: str) -> list[dict[str, str]]:
    with (ORG / name).open(encoding="utf-8", newline="") as f:
        return [{k: (v or "").strip().lower() for k, v in row.items()} for row in csv.DictReader(f)]


def assert_close(actual: dict[Any, Decimal], expected: dict[Any, Decimal], what: str) -> None:
    assert expected, f"{what}: nothing to compare (the sample's org files should make some)"
    assert set(actual) == set(expected), f"{what}: {sorted(set(actual) ^ set(expected))[:5]}"
    off = {k: (actual[k], expected[k]) for k in expected if abs(actual[k] - expected[k]) > TOLERANCE}
    assert not off, f"{what}: {len(off)} of {len(expected)} differ, e.g. {list(off.items())[:3]}"


def billed_catalog(wh: Warehouse) -> list[dict[str, Any]]:
    return [a for a in attempts(wh) if a["has_usage"] and a["price_source"] == "catalog"]


def test_batch_rule_reprices_like_calc_price_with_batch_processing(sample_warehouse: Warehouse) -> None:
    eligible = org_rows("batch_eligible.csv")
    environments = dict(sample_warehouse.query(
        "select attempt_key, environment from intermediate.int_usage_attempts_priced"))
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for a in billed_catalog(sample_warehouse):
        env = environments[a["attempt_key"]]
        matches = any((not r["agent"] or r["agent"] == a["agent"]) and (not r["environment"] or r["environment"] == env)
                      for r in eligible)
        if not matches or a["is_batch"] or a["model_provider_id"] != a["provider"]:
            continue
        batch_price = calc(a, batch=True)
        if batch_price == calc(a, batch=False):
            continue  # no batch price in the catalog on that date: the rule finds nothing (and repricing costs 0 saving)
        expected[(a["event_key"], f"{a['model_provider_id']}/{a['model_id']}")] += batch_price
    actual = {k: whatif for k, (_, whatif) in scenarios(sample_warehouse, "batch").items() if k in expected}
    assert_close(actual, dict(expected), "batch")
    # and the requests the rule repriced with no batch price cost the same as billed
    unchanged = {k: v for k, v in scenarios(sample_warehouse, "batch").items() if k not in expected}
    assert all(baseline == whatif for baseline, whatif in unchanged.values())


def test_model_alternatives_reprice_like_calc_price_on_the_substitute(sample_warehouse: Warehouse) -> None:
    substitutes = org_rows("model_substitutes.csv")
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for a in billed_catalog(sample_warehouse):
        for r in substitutes:
            if r["from_model"] != a["model_id"] or (r["from_provider"] and r["from_provider"] != a["provider"]):
                continue
            if r["agent"] and r["agent"] != a["agent"]:
                continue
            to_provider = r["to_provider"] or a["model_provider_id"]
            expected[(a["event_key"], f"{to_provider}/{r['to_model']}")] += calc(a, model=r["to_model"], provider=to_provider)
    actual = {k: whatif for k, (_, whatif) in scenarios(sample_warehouse, "model_alternative").items()}
    assert_close(actual, dict(expected), "model_alternative")


def test_cache_targets_reprice_like_calc_price_with_the_shifted_tokens(sample_warehouse: Warehouse) -> None:
    targets = {(r["provider"], "" if r["model"] in ("", "*") else r["model"]): Decimal(r["target_cache_read_pct"]) / 100
               for r in org_rows("cache_targets.csv")}
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for a in billed_catalog(sample_warehouse):
        share = targets.get((a["provider"], a["model_id"]), targets.get((a["provider"], "")))
        if share is None:
            continue
        total_input = a["uncached_input_tokens"] + a["cache_read_tokens"] + a["cache_write_5m_tokens"] + a["cache_write_1h_tokens"]
        shifted = min(int(total_input * share) - a["cache_read_tokens"], a["uncached_input_tokens"])
        if shifted <= 0:
            continue
        expected[(a["event_key"], f"{a['model_provider_id']}/{a['model_id']}")] += calc(
            a, uncached=a["uncached_input_tokens"] - shifted, read=a["cache_read_tokens"] + shifted)
    actual = {k: whatif for k, (_, whatif) in scenarios(sample_warehouse, "cache").items()}
    assert_close(actual, dict(expected), "cache")


def test_output_outliers_stop_at_the_agents_percentile(sample_warehouse: Warehouse) -> None:
    billed = billed_catalog(sample_warehouse)
    by_agent: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for a in billed:
        if a["agent"]:
            by_agent[(a["agent"], a["event_month"])].append(a["output_tokens"])
    thresholds = {}
    for key, outputs in by_agent.items():
        if len(outputs) >= 20:  # savings_output_min_requests
            ordered = sorted(outputs)
            # percentile_disc(0.95): the first value whose cumulative share reaches 95 %
            thresholds[key] = next(v for i, v in enumerate(ordered, 1) if Decimal(i) / len(ordered) >= Decimal("0.95"))
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for a in billed:
        limit = thresholds.get((a["agent"], a["event_month"]))
        if limit is None or a["output_tokens"] <= limit:
            continue
        expected[(a["event_key"], a["agent"])] += calc(a, output=limit)
    actual = {k: whatif for k, (_, whatif) in scenarios(sample_warehouse, "output_outlier").items()}
    assert_close(actual, dict(expected), "output_outlier")


def test_retries_and_failures_are_the_billed_cost_of_the_attempts_that_did_not_count(sample_warehouse: Warehouse) -> None:
    rows = attempts(sample_warehouse)
    last = defaultdict(int)
    for a in rows:
        last[a["event_key"]] = max(last[a["event_key"]], a["attempt_seq"])
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for a in rows:
        if a["has_usage"] and a["list_cost_usd"] is not None and (a["is_failed"] or a["attempt_seq"] < last[a["event_key"]]):
            expected[(a["event_key"], "failed" if a["is_failed"] else "retried")] += a["list_cost_usd"]
    actual = {k: baseline for k, (baseline, whatif) in scenarios(sample_warehouse, "retries_failures").items()}
    assert_close(actual, dict(expected), "retries_failures")


def test_team_rows_are_the_event_savings_allocated_by_share(sample_warehouse: Warehouse) -> None:
    shares = defaultdict(list)
    for event_key, team_id, share, month in sample_warehouse.query(
            "select event_key, team_id, share, month from marts.fct_cost_allocations"):
        shares[event_key].append((team_id, share, month))
    scoped = sample_warehouse.query(
        "select event_key, opportunity, opportunity_key, scope_team_id, saving_usd from intermediate.int_savings_scenarios "
        "where opportunity not in ('as_billed', 'cache') and saving_usd > 0")
    expected: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for event_key, opportunity, key, scope, saving in scoped:
        for team_id, share, month in shares[event_key]:
            if scope is None or scope == team_id:
                expected[(month, team_id, opportunity, key)] += saving * share
    actual = {(m, t, o, k): s for m, t, o, k, s in sample_warehouse.query(
        "select month, team_id, opportunity, opportunity_key, saving_usd from marts.rpt_savings_opportunities "
        "where opportunity <> 'cache'")}
    assert_close(actual, dict(expected), "team rows")
    # a rule limited to one team never reaches another team
    teams = {t for (t,) in sample_warehouse.query(
        "select distinct team_id from marts.fct_savings_events where opportunity = 'batch' and agent = 'invoice-reader'")}
    assert teams == {"finance"}


def test_cache_opportunities_only_for_teams_below_their_target(sample_warehouse: Warehouse) -> None:
    targets = {(r["provider"], "" if r["model"] in ("", "*") else r["model"]): Decimal(r["target_cache_read_pct"]) / 100
               for r in org_rows("cache_targets.csv")}
    tokens: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for month, team, provider, model, read, total in sample_warehouse.query(
            "select a.month, a.team_id, e.provider, e.model_id, e.cache_read_tokens, e.input_tokens "
            "from marts.fct_cost_allocations as a join marts.fct_usage_events as e using (event_key) "
            "where e.price_source = 'catalog'"):
        tokens[(month, team, provider, model)][0] += read
        tokens[(month, team, provider, model)][1] += total
    below = {k for k, (read, total) in tokens.items()
             if (t := targets.get((k[2], k[3]), targets.get((k[2], "")))) is not None and read < total * t}
    listed = {(m, t, p, mdl) for m, t, p, mdl in sample_warehouse.query(
        "select distinct month, team_id, provider, model_id from marts.fct_savings_events where opportunity = 'cache'")}
    assert listed and listed <= below


def test_published_saving_cents_tie_to_each_opportunitys_total(sample_warehouse: Warehouse) -> None:
    totals: dict[tuple[Any, ...], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for month, opportunity, key, saving, cents in sample_warehouse.query(
            "select month, opportunity, opportunity_key, saving_usd, saving_cents from marts.rpt_savings_opportunities"):
        totals[(month, opportunity, key)][0] += saving
        totals[(month, opportunity, key)][1] += cents
    for key, (saving, cents) in totals.items():
        assert cents == (saving * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP), key


def test_repricing_each_event_on_its_own_model_reproduces_the_ledger(sample_warehouse: Warehouse) -> None:
    rows = sample_warehouse.query(
        "select e.event_key, e.list_cost_usd, s.whatif_list_cost_usd from intermediate.int_usage_events as e "
        "left join intermediate.int_savings_scenarios as s on s.event_key = e.event_key and s.opportunity = 'as_billed' "
        "where e.price_source = 'catalog'")
    assert len(rows) > 1000
    assert [r for r in rows if r[1] != r[2]] == []
    # and the ledger itself is calc_price's: spot-check the events the model-alternative rule reprices
    by_event: dict[str, Decimal] = defaultdict(Decimal)
    for a in billed_catalog(sample_warehouse):
        by_event[a["event_key"]] += calc(a)
    ledger = {k: v for k, v, _ in rows}
    assert_close({k: ledger[k] for k in by_event if k in ledger}, {k: v for k, v in by_event.items() if k in ledger},
                 "ledger vs calc_price")


def test_team_benchmarks_recomputed_from_the_allocations(sample_warehouse: Warehouse) -> None:
    import statistics

    cost: dict[tuple[Any, str], Decimal] = defaultdict(Decimal)
    events: dict[tuple[Any, str], set[str]] = defaultdict(set)
    for month, team, event_key, allocated in sample_warehouse.query(
            "select month, team_id, event_key, allocated_cost_usd from marts.fct_cost_allocations "
            "where allocated_cost_usd is not null"):
        cost[(month, team)] += allocated
        events[(month, team)].add(event_key)
    groups = {t: g or "all" for t, g in csv_teams()}
    per_event = {k: (cost[k] / len(events[k])).quantize(Decimal("1e-12"), rounding="ROUND_FLOOR") for k in cost}
    rows = sample_warehouse.query(
        "select month, team_id, events, cost_usd, cost_per_event_usd, peer_teams, peer_median_cost_per_event_usd "
        "from marts.rpt_team_benchmarks where scope_kind = 'team'")
    assert {(m, t) for m, t, *_ in rows} == set(cost)
    for month, team, n, total, cpe, peer_teams, median in rows:
        assert (n, total, cpe) == (len(events[(month, team)]), cost[(month, team)], per_event[(month, team)]), team
        group = groups.get(team, "all")
        peers = [per_event[(m, t)] for (m, t) in per_event if m == month and t not in (team, "unattributed")
                 and (group == "all" or groups.get(t, "all") == group)]
        assert peer_teams == len(peers), (month, team)
        expected = statistics.median(peers).quantize(Decimal("1e-12"), rounding=ROUND_HALF_UP) if peers else None
        assert median == expected, (month, team)


def csv_teams() -> list[tuple[str, str]]:
    return [(r["team_id"], r.get("peer_group", "")) for r in org_rows("teams.csv")]
