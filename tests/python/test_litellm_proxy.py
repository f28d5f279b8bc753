"""LiteLLM as its proxy really logs, end to end: the fixtures in tests/fixtures/litellm_proxy.

- spend_logs_api.json and spend_logs_table.csv: the same three spend logs from the proxy's /spend/logs
  answer and from a CSV dump of LiteLLM_SpendLogs (numbers, timestamps and JSON text formatted as each
  export writes them). The first two rows are equal content; the third really differs (120 completion
  tokens in the dump, 100 in the answer).
- standard_logging_payload.jsonl: LiteLLM's StandardLoggingPayload, one per line (what its custom, S3
  and GCS loggers write): an OpenAI call LiteLLM priced at 0.0004 (our list price is 0.00027) and an
  Anthropic call with a 1-hour cache write whose request id is LiteLLM's chatcmpl-<uuid> but whose stored
  response keeps Anthropic's msg_ id, which a gateway line written here also logged.

List prices ($/MTok): gpt-4o-mini 0.15 in / 0.60 out.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from harness import PROJECT_ROOT, Warehouse, new_warehouse

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "litellm_proxy"

GATEWAY_LINE = {
    "request_id": "gw-haiku", "timestamp": "2026-10-13T08:01:00Z", "provider": "anthropic", "endpoint": "/v1/messages",
    "status_code": 200, "headers": {"x-team": "search"},
    "response": {"id": "msg_01HaikuPayloadExample0001", "model": "claude-haiku-4-5",
                 "usage": {"input_tokens": 500, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 1500,
                           "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 1000},
                           "output_tokens": 300}}}



@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    tmp = tmp_path_factory.mktemp("litellm_proxy")
    gateway = tmp / "gateway.jsonl"
    gateway.write_text(json.dumps(GATEWAY_LINE) + "\n", encoding="utf-8")
    wh = new_warehouse(tmp / "wh")
    # one file per ingest, so the load order (and so which copy wins) is the order written here
    for path in (FIXTURES / "spend_logs_api.json", FIXTURES / "spend_logs_table.csv",
                 FIXTURES / "standard_logging_payload.jsonl", gateway):
        wh.ingest(path)
    wh.dbt("build", "--exclude-resource-type", "unit_test")
    return wh


def test_standard_logging_payload_is_recognised_and_landed(wh: Warehouse) -> None:
    assert wh.query("select file_name, format, rows, status from raw.load_manifest order by load_id") == [
        ("spend_logs_api.json", "litellm_json", 1, "loaded"),
        ("spend_logs_table.csv", "litellm_csv", 3, "loaded"),
        ("standard_logging_payload.jsonl", "litellm_payload_jsonl", 2, "loaded"),
        ("gateway.jsonl", "gateway_jsonl", 1, "loaded"),
    ]
    assert wh.scalar("select count(*) from audit.rejected_rows") == 0


def test_json_and_csv_copies_of_equal_content_are_not_conflicts(wh: Warehouse) -> None:
    # the CSV dump was loaded last: its copies win; the answer's copies are the duplicates
    assert wh.query("select record_id, is_conflict from audit.duplicate_records where source = 'litellm' "
                    "order by record_id") == [
        ("chatcmpl-4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d", False),
        ("chatcmpl-Pq1RsT2uV3wX4yZ5aB6cD7eF8gH9", False),
        ("chatcmpl-Zy9XwV8uT7sR6qP5oN4mL3kJ2iH1", True),  # 100 vs 120 completion tokens
    ]  # fmt: skip


def test_payload_rows_are_parsed_as_litellm_events(wh: Warehouse) -> None:
    rows = wh.query(
        "select request_id, response_id, occurred_at, provider_hint, api_key_id, user_email, tag_team, project, "
        "environment, reported_cost_usd, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, "
        "cache_write_1h_tokens, output_tokens from staging.stg_litellm__spend_logs where api_key_id = 'hk-search-2' "
        "order by occurred_at")
    assert [r[:9] for r in rows] == [
        ("chatcmpl-Mn3OpQ4rS5tU6vW7xY8zA9bC0dE1", "chatcmpl-Mn3OpQ4rS5tU6vW7xY8zA9bC0dE1",
         datetime(2026, 10, 13, 8, 0, 0, 500000), "openai", "hk-search-2", "dana@corp.example",
         "t-search", "atlas", None),
        ("chatcmpl-7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "msg_01HaikuPayloadExample0001",
         datetime(2026, 10, 13, 8, 1, 0), "anthropic", "hk-search-2", "dana@corp.example",
         "t-search", None, "prod"),
    ]  # fmt: skip
    # 3000 prompt - 1000 read - 1500 written = 500 uncached; 1500 written = 500 for 5 minutes + 1000 for 1 hour
    assert [r[9:] for r in rows] == [
        (Decimal("0.0004"), 1000, 0, 0, 0, 200),
        (Decimal("0.00455"), 500, 1000, 500, 1000, 300),
    ]


def test_spend_log_tags_and_split(wh: Warehouse) -> None:
    rows = {r[0]: r[1:] for r in wh.query(
        "select request_id, tag_team, project, environment, customer, cache_write_5m_tokens, cache_write_1h_tokens "
        "from staging.stg_litellm__spend_logs where api_key_id = 'hk-search-1'")}
    assert rows["chatcmpl-Pq1RsT2uV3wX4yZ5aB6cD7eF8gH9"] == ("search", "atlas", "prod", None, 0, 0)
    assert rows["chatcmpl-4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d"] == (None, None, None, "acme", 500, 1000)


def test_provider_id_found_in_the_payload_matches_the_gateway(wh: Warehouse) -> None:
    assert wh.query("select source, attempt_id, match_rule, kept_source, kept_attempt_id "
                    "from audit.cross_source_duplicates") == [
        ("litellm", "chatcmpl-7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "response_id", "gateway", "gw-haiku"),
    ]  # fmt: skip


def test_payload_response_cost_is_compared_with_our_price(wh: Warehouse) -> None:
    # 1000 x 0.15 + 200 x 0.60 = 270 micro-dollars; LiteLLM said 400: 130 / 270 x 100 = 48.148..., truncated
    assert wh.query("select request_id, reported_cost_usd, list_cost_usd, difference_pct "
                    "from audit.litellm_cost_disagreements where request_id like 'chatcmpl-Mn3%'") == [
        ("chatcmpl-Mn3OpQ4rS5tU6vW7xY8zA9bC0dE1", Decimal("0.0004"), Decimal("0.00027"), Decimal("48.1481")),
    ]  # fmt: skip


def test_fixture_files_exist() -> None:
    assert sorted(p.name for p in Path(FIXTURES).iterdir()) == [
        "README.md", "spend_logs_api.json", "spend_logs_table.csv", "standard_logging_payload.jsonl"]
