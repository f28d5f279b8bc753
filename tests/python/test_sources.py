"""End to end: OTel traces, LiteLLM spend logs and the providers' usage and cost reports.

Every fixture under tests/fixtures/sources (hand-written from the public schemas; its README lists
every record's figures) is ingested into one warehouse, together with a two-line gateway log written
here whose response ids repeat two OTel spans (the cross-source case). The expected figures below are
computed by hand from the fixtures' token counts and the catalog's list prices ($/MTok):
gpt-4o 2.50 / cached 1.25 / out 10; gpt-4o-mini 0.15 / 0.075 / 0.60; o3-mini 1.10 / 0.55 / 4.40;
claude-sonnet-4-5 3 / read 0.30 / write-5m 3.75 / out 15; claude-haiku-4-5 1 / 0.10 / 1.25 / 5
(list cost: negotiated discounts are the spine's business and tested there).

Then the same warehouse is rebuilt with `authoritative_sources: {openai: gateway}` (the other way of
the cross-source rule).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from harness import ORG, PROJECT_ROOT, Warehouse, copy_project, new_warehouse

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "sources"
MICRO = Decimal("0.000001")

ALIASES = """source,external_id,team_id
litellm,7c1e4a52-3b9d-4f0e-9a61-2d8f5b0c9e13,search
litellm,b2f6d8e0-5a41-4c7b-8e39-1f0a6c4d2b75,platform
openai,proj_Kx7aB3dQ9mN2pL5sR8tV1wY4,search
openai,proj_Vt4Rw8Yz1Qe6Hu0jC3fG7kM2,platform
anthropic,wrkspc_01Hq3Zt7Vn2Lp9Ks4Xc8Wb6R,search
anthropic,wrkspc_01Pw5Dr1Gy8Mf3Jt6Nq2Bv9H,platform
"""

# The gateway saw two of the calls the OTel spans also report: S4 (Anthropic, msg_01XFD...) and CA (OpenAI,
# chatcmpl-Ek2W...), with the same token counts.
GATEWAY_LINES = [
    {"request_id": "gw-s4", "timestamp": "2026-10-05T11:02:13Z", "provider": "anthropic", "endpoint": "/v1/messages",
     "status_code": 200, "headers": {"x-team": "search"},
     "response": {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "model": "claude-sonnet-4-5-20250929",
                  "usage": {"input_tokens": 500, "cache_read_input_tokens": 2000, "cache_creation_input_tokens": 800,
                            "output_tokens": 450}}},
    {"request_id": "gw-ca", "timestamp": "2026-10-07T14:00:00Z", "provider": "openai", "endpoint": "/v1/chat/completions",
     "status_code": 200, "headers": {"x-team": "support"},
     "response": {"id": "chatcmpl-Ek2WqL7mR9xT4vB1nZ6sY8cP3aH0", "model": "gpt-4o-mini-2024-07-18",
                  "usage": {"prompt_tokens": 800, "completion_tokens": 120, "prompt_tokens_details": {"cached_tokens": 300}}}},
]

# List cost per call, micro-dollars (the fixtures README's arithmetic, re-derived from the token counts).
OTEL_COST = {  # span -> micro-dollars
    "S2": 800 * 2.5 + 400 * 1.25 + 300 * 10,  # 5500
    "S4": 500 * 3 + 800 * 3.75 + 2000 * 0.30 + 450 * 15,  # 11850
    "S5": 900 * 0.15 + 150 * 0.60,  # 225
    "S6": 500 * 1.10 + 200 * 0.55 + 1000 * 4.40,  # 5060
    "S7": 640 * 1 + 90 * 5,  # 1090
    "S8": 450 * 0.15 + 60 * 0.60,  # 103.5
    "CA": 500 * 0.15 + 300 * 0.075 + 120 * 0.60,  # 169.5
    "CB": 500 * 1 + 1000 * 0.10 + 200 * 5,  # 1600
    "CC": 2000 * 2.5 + 500 * 1.25 + 350 * 10,  # 9125
}
LITELLM_COST = {
    "L1": 800 * 2.5 + 1200 * 1.25 + 400 * 10,  # 7500
    "L2": 300 * 3 + 1000 * 3.75 + 3000 * 0.30 + 500 * 15,  # 13050 (prompt 4300 includes read 3000 + write 1000)
    "L3": 1500 * 1.10 + 2500 * 4.40,  # 12650
    "L4": 0, "L5": 0,  # a failure without tokens; a LiteLLM cache hit (no provider call)
    "L6": 1000 * 2.5 + 2000 * 1.25 + 200 * 10,  # 7000 (LiteLLM logged 9500)
    "C1": 1000 * 0.15 + 200 * 0.60,  # 270
    "C2": 200 * 1 + 400 * 1.25 + 1000 * 0.10 + 300 * 5,  # 2300
    "C3": 0, "C5": 0,
    "C4": 800 * 1.10 + 1200 * 4.40,  # 6160
    "C6": 300 * 0.15 + 50 * 0.60,  # 75
}
OPENAI_SPANS = ["S5", "S6", "S8", "CC"]  # OpenAI spans no gateway line matches (S2 matches L1; CA the gateway)
LITELLM_OPENAI = ["L1", "L3", "L4", "L5", "L6", "C1", "C3", "C4", "C5", "C6"]


def usd(micro: float) -> Decimal:
    return Decimal(str(micro)) * MICRO


def build(wh: Warehouse, *extra: str) -> dict[str, object]:
    wh.dbt("build", "--exclude-resource-type", "unit_test", *extra)
    q = wh.query
    return {
        "events": dict(((s, (n, c)) for s, n, c in q(
            "select source, count(*), sum(list_cost_usd) from marts.fct_usage_events group by 1"))),
        "collapsed": sorted(q("select source, match_rule, kept_source, count(*) from audit.cross_source_duplicates "
                              "group by all order by all")),
    }


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("sources")
    project = copy_project(tmp / "project")
    (project / ORG / "team_aliases.csv").write_text(ALIASES, encoding="utf-8")
    wh = new_warehouse(tmp / "wh", project_dir=project)
    gateway = tmp / "gateway.jsonl"
    gateway.write_text("".join(json.dumps(line) + "\n" for line in GATEWAY_LINES), encoding="utf-8")
    wh.ingest(*sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix != ".md"), gateway)
    stages: dict[str, object] = {"wh": wh, "default": build(wh)}
    stages["rejected"] = wh.query("select source, reject_reason, count(*) from audit.rejected_rows group by all")
    stages["duplicates"] = wh.query("select source, record_id from audit.duplicate_records")
    stages["disagreements"] = wh.query(
        "select request_id, reported_cost_usd, list_cost_usd, difference_usd, difference_pct "
        "from audit.litellm_cost_disagreements")
    stages["litellm_teams"] = dict(wh.query(
        "select event_id, tag_team from marts.fct_usage_events where source = 'litellm'"))
    stages["coverage"] = {(p, d.isoformat(), m): (lt, rt, pct, status) for p, d, m, lt, rt, pct, status in wh.query(
        "select provider, usage_date, model, ledger_tokens, reported_tokens, coverage_pct, coverage_status "
        "from marts.fct_usage_coverage")}
    stages["usage_totals"] = dict((p, r) for p, *r in wh.query(
        "select provider, sum(uncached_input_tokens), sum(cache_read_tokens), sum(cache_write_5m_tokens), "
        "sum(cache_write_1h_tokens), sum(output_tokens), sum(requests), sum(web_search_requests) "
        "from marts.fct_provider_usage_daily group by 1"))
    stages["costs"] = dict(wh.query("select provider, sum(billed_usd) from marts.fct_provider_costs_daily group by 1"))
    stages["by_team"] = {(p, t): c for p, t, c in wh.query(
        "select provider, team_id, billed_usd from marts.rpt_provider_costs_by_team")}
    stages["invoices"] = {p: (inv, src) for p, inv, src in wh.query(
        "select provider, invoiced_usd, invoice_source from marts.fct_invoice_reconciliation where month = '2026-10-01'")}
    stages["authoritative"] = build(wh, "--full-refresh", "--vars", "{authoritative_sources: {openai: gateway}}")
    return stages


def test_otel_spans_count_each_call_once(sources: dict[str, object]) -> None:
    events = sources["default"]["events"]  # type: ignore[index]
    # S1 repeats S2 (parent usage), S3 reports no usage, S2 is L1's response id, S4 and CA are the gateway's,
    # CB's second delivery is a duplicate, collector line 2 is truncated JSON.
    kept = ["S5", "S6", "S7", "S8", "CB", "CC"]
    assert events["otel"] == (len(kept), usd(sum(OTEL_COST[s] for s in kept)))
    assert events["gateway"] == (2, usd(OTEL_COST["S4"] + OTEL_COST["CA"]))
    assert ("otel", "invalid_json", 1) in sources["rejected"]  # type: ignore[operator]
    assert sources["duplicates"] == [("otel", "1e2d3c4b5a69788796a5b4c3d2e1f0a9:bb11cc22dd33ee44")]


def test_cross_source_matches_on_response_id(sources: dict[str, object]) -> None:
    assert sources["default"]["collapsed"] == [  # type: ignore[index]
        ("otel", "otel_parent_usage", "otel", 1),  # S1
        ("otel", "response_id", "gateway", 2),  # S4, CA
        ("otel", "response_id", "litellm", 1),  # S2 (LiteLLM's request_id is the response id)
    ]


def test_litellm_costs_and_teams(sources: dict[str, object]) -> None:
    events = sources["default"]["events"]  # type: ignore[index]
    assert events["litellm"] == (12, usd(sum(LITELLM_COST.values())))
    teams = sources["litellm_teams"]
    assert teams["chatcmpl-AZq3kT9vWm2LxR7pN4sB8dYcE1fG"] == "search"  # through org/team_aliases.csv
    assert teams["chatcmpl-Gn4YsN9oT1zV6xD3pB8uA0eR5cJ2"] == "platform"
    assert teams["chatcmpl-Ls8CwR3sX5dZ0bH7tF2yE4iV9gN6"] is None  # C6: no team_id


def test_litellm_mispricing_is_listed(sources: dict[str, object]) -> None:
    # Only L6 is off by more than 1 %: LiteLLM charged its 2000 cached tokens at the full input rate.
    ((request_id, reported, ours, difference, pct),) = sources["disagreements"]  # type: ignore[misc]
    assert request_id == "chatcmpl-Hp5ZtO0pU2aW7yE4qC9vB1fS6dK3"
    assert (reported, ours, difference) == (Decimal("0.0095"), Decimal("0.007"), Decimal("0.0025"))
    assert pct == Decimal("35.7142")  # 2500 / 7000 x 100 = 35.714285..., truncated to 4 decimals


def test_provider_reports(sources: dict[str, object]) -> None:
    totals = sources["usage_totals"]
    # OpenAI pages 1+2 and the array: input 35000 + 12500 (cached 10000 + 2000), output 11700 + 5700, requests 70 + 25.
    assert totals["openai"] == [47500 - 12000, 12000, 0, 0, 17400, 95, 0]  # type: ignore[index]
    # Anthropic: uncached 7500, read 7500, 5m 1300, 1h 300, output 2600, 5 web searches (requests not reported).
    assert totals["anthropic"] == [7500, 7500, 1300, 300, 2600, None, 5]  # type: ignore[index]
    costs = sources["costs"]
    assert costs["openai"] == Decimal("1.3375")  # type: ignore[index]  # 1.27585 + 0.06165
    assert costs["anthropic"] == Decimal("0.093825")  # type: ignore[index]  # 9.3825 cents
    by_team = sources["by_team"]
    assert by_team == {  # type: ignore[comparison-overlap]
        ("openai", "search"): Decimal("0.0725"), ("openai", "platform"): Decimal("0.0305"),
        ("openai", "unattributed"): Decimal("1.2345"),
        ("anthropic", "search"): Decimal("0.060525"), ("anthropic", "platform"): Decimal("0.0258"),
        ("anthropic", "unattributed"): Decimal("0.0075"),  # the default workspace (workspace_id null)
    }
    # The cost reports replace the invoices seed for October.
    assert sources["invoices"] == {"openai": (Decimal("1.3375"), "cost_report"),
                                   "anthropic": (Decimal("0.093825"), "cost_report")}


def test_coverage_by_hand(sources: dict[str, object]) -> None:
    coverage = sources["coverage"]
    # 10-06 gpt-4o-mini-2024-07-18: report 4000 in + 800 out; ledger S5 (900 + 150) + S8 (450 + 60) = 1560.
    assert coverage[("openai", "2026-10-06", "gpt-4o-mini-2024-07-18")] == (1560, 4800, Decimal("32.5"), "partial")
    # 10-06 gpt-4o-2024-08-06: reported 6900, nothing in the ledger: a missing source.
    assert coverage[("openai", "2026-10-06", "gpt-4o-2024-08-06")] == (0, 6900, Decimal("0"), "not_in_ledger")
    # 10-05 claude-sonnet-4-5-20250929: report 1500 + 200 + 800 + 4000 + 600 = 7100; ledger gateway S4
    # (500 + 2000 + 800 + 450 = 3750) + LiteLLM L2 (300 + 3000 + 1000 + 500 = 4800) = 8550: 120.4225 %.
    assert coverage[("anthropic", "2026-10-05", "claude-sonnet-4-5-20250929")] == (8550, 7100, Decimal("120.4225"), "over")
    # 10-01: only the report (no request-level fixture that day).
    assert coverage[("openai", "2026-10-01", "gpt-4o-2024-08-06")] == (0, 12000, Decimal("0"), "not_in_ledger")
    # Days no report covers are not compared: LiteLLM's 10-09 and 10-10 rows are not here.
    assert not [key for key in coverage if key[1] in ("2026-10-09", "2026-10-10")]  # type: ignore[index]


def test_authoritative_source_drops_the_other_sources_of_that_provider(sources: dict[str, object]) -> None:
    stage = sources["authoritative"]
    events = stage["events"]  # type: ignore[index]
    assert events["gateway"] == (2, usd(OTEL_COST["S4"] + OTEL_COST["CA"]))
    assert events["otel"] == (2, usd(OTEL_COST["S7"] + OTEL_COST["CB"]))  # only the Anthropic spans stay
    assert events["litellm"] == (2, usd(LITELLM_COST["L2"] + LITELLM_COST["C2"]))
    assert stage["collapsed"] == [  # type: ignore[index]
        ("litellm", "authoritative_source", "gateway", len(LITELLM_OPENAI)),
        ("otel", "authoritative_source", "gateway", len(OPENAI_SPANS)),
        ("otel", "otel_parent_usage", "otel", 1),
        ("otel", "response_id", "gateway", 2),
        ("otel", "response_id", "litellm", 1),
    ]
