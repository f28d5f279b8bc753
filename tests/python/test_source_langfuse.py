"""Langfuse observations end to end, on the platform sources' shared warehouse (conftest.platform_sources).

The fixtures in tests/fixtures/platform_sources/langfuse (its README lists every record's figures):
- observations_api_page.json: a page of GET /api/public/observations (v1: data + meta page/limit/
  totalItems/totalPages) with an OpenAI generation (usage as Langfuse stores it, cached input and
  reasoning subtracted from input and output), a SPAN, a failed generation (level ERROR, no usage) and
  the first copy of obs-lf-dup-1;
- observations_api_v2_page.json: a page of GET /api/public/v2/observations (meta.cursor) with an
  Anthropic generation whose Langfuse cost is deliberately off (cache writes priced at 2.25/MTok);
- observations_v2_export.jsonl: the blob-storage export's enriched observations (snake_case, trace
  fields on the observation): an Anthropic generation ingested over OpenTelemetry (provider, response
  id and agent in metadata.attributes; a 1-hour cache write), the later copy of obs-lf-dup-1 (which
  wins), an EVENT, a generation without usage (missing_usage), an unknown model (unpriced), an invalid
  JSON line (invalid_json) and a generation whose `input` also counts its cached tokens (its `total`
  is smaller than the buckets: inconsistent_tokens).

List prices ($/MTok, seeds/prices/price_rates.csv): gpt-5-mini 0.25 in / 0.025 cached / 2 out;
gpt-4o-mini 0.15 / 0.075 / 0.60; claude-haiku-4-5 1 in / 0.10 read / 1.25 write-5m / 2 write-1h / 5 out.
Every figure is computed by hand here and cross-checked with genai-prices' calc_price.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import genai_prices
import pytest
from harness import Warehouse

MICRO = Decimal("0.000001")

# observation id -> (uncached input, cache read, cache write 5m, cache write 1h, output, reasoning)
BUCKETS = {
    "obs-lf-gen-openai-1": (800, 1200, 0, 0, 500, 200),  # output 300 + output_reasoning_tokens 200
    "obs-lf-gen-failed-1": (0, 0, 0, 0, 0, 0),
    "obs-lf-dup-1": (1000, 0, 0, 0, 200, 0),  # the export's copy (loaded last)
    "obs-lf-gen-anthropic-1": (400, 2000, 1000, 0, 250, 0),
    "obs-lf-blob-anthropic-1": (500, 1000, 300, 200, 100, 0),
    "obs-lf-unknown-1": (100, 0, 0, 0, 50, 0),
}

# List cost per call, micro-dollars, by hand from the buckets above and the list prices.
HAND_COST = {
    "obs-lf-gen-openai-1": 800 * 0.25 + 1200 * 0.025 + 500 * 2,  # 200 + 30 + 1000 = 1230
    "obs-lf-gen-failed-1": 0,
    "obs-lf-dup-1": 1000 * 0.15 + 200 * 0.60,  # 150 + 120 = 270
    "obs-lf-gen-anthropic-1": 400 * 1 + 2000 * 0.10 + 1000 * 1.25 + 250 * 5,  # 400 + 200 + 1250 + 1250 = 3100
    "obs-lf-blob-anthropic-1": 500 * 1 + 1000 * 0.10 + 300 * 1.25 + 200 * 2 + 100 * 5,  # 500+100+375+400+500 = 1875
}


def micro(value: float) -> Decimal:
    return (Decimal(str(value)) * MICRO).normalize()


@pytest.fixture(scope="module")
def wh(platform_sources: Warehouse) -> Warehouse:
    return platform_sources


def test_files_are_recognised_as_langfuse_and_landed(wh: Warehouse) -> None:
    assert wh.query(
        "select file_name, format, rows, status from raw.load_manifest where file_name like 'observations_%' "
        "and file_path like '%langfuse%' order by file_name") == [
        ("observations_api_page.json", "langfuse_json", 1, "loaded"),
        ("observations_api_v2_page.json", "langfuse_json", 1, "loaded"),
        ("observations_v2_export.jsonl", "langfuse_jsonl", 7, "loaded"),
    ]


def test_every_record_is_accounted_for(wh: Warehouse) -> None:
    # 12 records: 4 + 1 in the pages, 7 lines; 6 calls + 1 duplicate copy + 3 rejects + 2 not calls
    assert wh.scalar("select count(*) from staging.base_langfuse__observations_parsed") == 12
    assert wh.query("select record_id, reject_reason from audit.rejected_rows where source = 'langfuse' "
                    "order by reject_reason") == [
        ("obs-lf-inclusive-1", "inconsistent_tokens"),
        (None, "invalid_json"),
        ("obs-lf-nousage-1", "missing_usage"),
    ]
    assert wh.query("select observation_id, observation_type from staging.stg_langfuse__observations "
                    "where not is_call order by 1") == [("obs-lf-event-1", "EVENT"), ("obs-lf-span-1", "SPAN")]
    assert wh.scalar("select count(*) from staging.stg_langfuse__attempts") == 6
    assert wh.scalar("select sum(attempts) from marts.fct_usage_events where source = 'langfuse'") == 6
    # the conservation test (tests/singular/marts/assert_raw_rows_conserved.sql) passed in the build


def test_the_latest_copy_of_an_observation_wins(wh: Warehouse) -> None:
    # the API page was loaded first (100 output tokens), the export later (200): the export's copy is kept
    assert wh.query("select record_id, kept_file_path like '%observations_v2_export.jsonl', is_conflict "
                    "from audit.duplicate_records where source = 'langfuse'") == [("obs-lf-dup-1", True, True)]
    assert wh.scalar("select output_tokens from staging.stg_langfuse__attempts where attempt_id = 'obs-lf-dup-1'") == 200


def test_usage_types_become_the_canonical_buckets(wh: Warehouse) -> None:
    rows = wh.query(
        "select attempt_id, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, "
        "output_tokens, reasoning_tokens, source_input_tokens from staging.stg_langfuse__attempts")
    got = {r[0]: tuple(r[1:7]) for r in rows}
    assert got == BUCKETS
    assert all(r[7] == sum(r[1:5]) for r in rows)


def test_calls_are_priced_by_hand_and_like_calc_price(wh: Warehouse) -> None:
    rows = wh.query(
        "select e.event_id, e.occurred_at, e.provider, e.model_id, e.model_requested, e.list_cost_usd, "
        "a.uncached_input_tokens, a.cache_read_tokens, a.cache_write_5m_tokens, a.cache_write_1h_tokens, "
        "a.output_tokens from marts.fct_usage_events as e "
        "inner join staging.stg_langfuse__attempts as a on e.event_id = a.attempt_id "
        "where e.source = 'langfuse' and e.list_cost_usd is not null order by e.event_id")
    assert {r[0]: r[5] for r in rows} == {k: micro(v) for k, v in HAND_COST.items()}
    assert {r[0]: (r[2], r[3]) for r in rows} == {
        "obs-lf-blob-anthropic-1": ("anthropic", "claude-haiku-4-5"),
        "obs-lf-dup-1": ("openai", "gpt-4o-mini"),
        "obs-lf-gen-anthropic-1": ("anthropic", "claude-haiku-4-5"),  # claude-haiku-4-5-20251001, provider inferred
        "obs-lf-gen-failed-1": ("anthropic", "claude-haiku-4-5"),
        "obs-lf-gen-openai-1": ("openai", "gpt-5-mini"),
    }
    for event_id, occurred_at, provider, _, model_requested, list_cost, uncached, read, write_5m, write_1h, output in rows:
        if event_id == "obs-lf-gen-failed-1":  # no usage: nothing to price
            continue
        usage = genai_prices.Usage(
            input_tokens=uncached + read + write_5m + write_1h, cache_read_tokens=read,
            cache_write_tokens=write_5m + write_1h, cache_write_1h_tokens=write_1h, output_tokens=output)
        oracle = genai_prices.calc_price(usage, model_ref=model_requested, provider_id=provider,
                                         genai_request_timestamp=occurred_at)
        assert abs(Decimal(str(oracle.total_price)) - list_cost) < Decimal("1e-12"), event_id


def test_an_unknown_model_is_unpriced(wh: Warehouse) -> None:
    # gpt-imaginary-9: the provider is inferred from the model (gpt- is OpenAI's), the model is not in the catalog
    assert wh.query("select event_id, provider, list_cost_usd, unpriced_reason from marts.fct_usage_events "
                    "where source = 'langfuse' and list_cost_usd is null") == [
        ("obs-lf-unknown-1", "openai", None, "unknown_model")]
    with pytest.raises(LookupError):
        genai_prices.calc_price(genai_prices.Usage(input_tokens=100, output_tokens=50), model_ref="gpt-imaginary-9",
                                provider_id="openai")


def test_langfuse_cost_is_compared_with_the_list_price(wh: Warehouse) -> None:
    # Langfuse's own cost equals ours for every call but obs-lf-gen-anthropic-1: it priced the 1000 cache-write
    # tokens at 2.25/MTok (0.00225) instead of 1.25 (0.00125): 0.0041 reported vs 0.0031 listed, +0.001 (32.258 %)
    assert wh.query("select attempt_id, reported_cost_usd, list_cost_usd, difference_usd "
                    "from audit.reported_cost_disagreements where source = 'langfuse'") == [
        ("obs-lf-gen-anthropic-1", Decimal("0.0041"), Decimal("0.0031"), Decimal("0.001"))]
    pct = wh.scalar("select difference_pct from audit.reported_cost_disagreements where source = 'langfuse'")
    assert abs(pct - Decimal("0.001") / Decimal("0.0031") * 100) < Decimal("0.001")
    assert wh.query("select attempt_id, reported_cost_usd from staging.stg_langfuse__attempts "
                    "where reported_cost_usd is not null order by 1") == [
        ("obs-lf-blob-anthropic-1", Decimal("0.001875")), ("obs-lf-dup-1", Decimal("0.00027")),
        ("obs-lf-gen-anthropic-1", Decimal("0.0041")), ("obs-lf-gen-openai-1", Decimal("0.00123")),
        ("obs-lf-unknown-1", Decimal("0")),  # the export's total_cost 0 (no Langfuse price): we leave it unpriced
    ]


def test_ownership_provider_and_response_id(wh: Warehouse) -> None:
    rows = wh.query(
        "select attempt_id, occurred_at, provider_hint, response_id, user_email, agent, tag_team, project, environment, "
        "customer, is_failed, has_usage from staging.stg_langfuse__attempts order by attempt_id")
    assert rows == [
        ("obs-lf-blob-anthropic-1", datetime(2026, 11, 10, 8, 15, 30, 250000), "anthropic",
         "msg_01LangfuseBlobExample0001", "alice@corp.example", "support-triage", "platform", None, "staging", "acme",
         False, True),
        # Langfuse's `default` environment is no environment
        ("obs-lf-dup-1", datetime(2026, 11, 5, 11), None, None, None, None, "platform", None, None, None, False, True),
        ("obs-lf-gen-anthropic-1", datetime(2026, 11, 6, 16), None, None, "bob@corp.example", None, None, None,
         "production", None, False, True),
        ("obs-lf-gen-failed-1", datetime(2026, 11, 4, 14, 30), None, None, None, None, "support", None, "production",
         None, True, False),
        ("obs-lf-gen-openai-1", datetime(2026, 11, 3, 9), "openai", None, None, None, "search", "atlas", "production",
         None, False, True),
        ("obs-lf-unknown-1", datetime(2026, 11, 13, 12), None, None, None, None, "search", None, "production", None,
         False, True),
    ]  # fmt: skip
    # the team tag wins over the agent's and the user's team; bob has no tag: his team from people.csv
    assert wh.query("select event_id, team_id, basis from intermediate.int_usage_events_attributed "
                    "where source = 'langfuse' order by event_id") == [
        ("obs-lf-blob-anthropic-1", "platform", "tag"),
        ("obs-lf-dup-1", "platform", "tag"),
        ("obs-lf-gen-anthropic-1", "support", "user_team"),
        ("obs-lf-gen-failed-1", "support", "tag"),
        ("obs-lf-gen-openai-1", "search", "tag"),
        ("obs-lf-unknown-1", "search", "tag"),
    ]
