"""Telemetry written by real client libraries (tests/fixtures/telemetry, made by tools/telemetry_fixtures).

Every producer's files are ingested into one warehouse, built once. Then, per producer, each call of its
expected.json (the usage body the mock provider served, the ownership the caller set) must be exactly one
event in marts.fct_usage_events: none rejected, none counted twice, the list cost equal to genai-prices'
extract_usage + calc_price on the body served (within 1e-9 USD), and team, project and customer as set.
Where a producer leaves a usage detail out of its telemetry (NOT_REPORTED) the oracle prices the body
less that detail, what the file itself says; calls it writes no span for (NOT_INSTRUMENTED) must be
absent from the file, not lost by the ledger.
"""

from __future__ import annotations

import json
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

import genai_prices
import pytest
from harness import PROJECT_ROOT, new_warehouse

TELEMETRY = PROJECT_ROOT / "tests" / "fixtures" / "telemetry"
PRODUCERS = sorted(p.name for p in TELEMETRY.iterdir() if (p / "expected.json").is_file())
DATA_FILES = ("traces.jsonl", "spend_logs.json")  # what each producer's directory holds for the ledger
FLAVOR = {"chat": "chat", "responses": "responses", "messages": "default"}
TOLERANCE = Decimal("1e-9")
EVENT_COLUMNS = ("event_id", "response_id", "source", "provider", "model_id", "list_cost_usd", "tag_team", "project",
                 "customer", "unpriced_reason", "occurred_at", "first_load_id")

pytestmark = pytest.mark.slow

# What a producer leaves out of its telemetry (docs/sources.md, "Known deviations"). The ledger can price
# only what the file says, so the oracle prices the usage the mock served less these usage details...
NOT_REPORTED: dict[str, dict[str, tuple[str, ...]]] = {
    # opentelemetry-instrumentation-openai-v2 2.4b0 writes input and output totals only: no cached or
    # reasoning counts (cached input is then billed as input: the file does not say it was cached)
    "otel-openai-v2": {"openai": ("prompt_tokens_details", "completion_tokens_details")},
    "otel-openai-v2-latest": {"openai": ("prompt_tokens_details", "completion_tokens_details")},
    # OpenLIT 1.45 writes Anthropic's cache writes without the 5m / 1h split (all priced at the 5m rate)
    "openlit": {"anthropic": ("cache_creation",)},
}
# ... and the calls it writes no span for at all (they are not in the file, so no event can exist).
NOT_INSTRUMENTED: dict[str, set[str]] = {"otel-openai-v2": {"responses"}, "otel-openai-v2-latest": {"responses"}}


def expected(producer: str) -> dict[str, Any]:
    return json.loads((TELEMETRY / producer / "expected.json").read_text(encoding="utf-8"))


def call_ids(producer: str) -> list[list[str]]:
    """Per call, the ids the ledger may know it by: the provider's response id and, for LiteLLM, the
    spend log's request_id (LiteLLM rewrites some providers' ids), matched by order."""
    calls = expected(producer)["calls"]
    ids = [list(call["response_ids"]) for call in calls]
    spend_logs = TELEMETRY / producer / "spend_logs.json"
    if spend_logs.is_file():
        for index, row in enumerate(json.loads(spend_logs.read_text(encoding="utf-8"))):
            if index < len(ids) and row["request_id"] not in ids[index]:
                ids[index].append(row["request_id"])
    return ids


def reported_usage(producer: str, call: dict[str, Any]) -> dict[str, Any]:
    """The usage the mock served, less the details the producer does not report (NOT_REPORTED)."""
    left_out = NOT_REPORTED.get(producer, {}).get(call["provider"], ())
    return {key: value for key, value in call["usage"].items() if key not in left_out}


def oracle(producer: str, call: dict[str, Any], at: Any) -> Decimal:
    body = {"model": call["served_model"], "usage": reported_usage(producer, call)}
    extracted = genai_prices.extract_usage(body, provider_id=call["provider"], api_flavor=FLAVOR[call["api"]])
    timestamp = at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
    return genai_prices.calc_price(extracted.usage, call["served_model"], provider_id=call["provider"],
                                   genai_request_timestamp=timestamp).total_price


@pytest.fixture(scope="module")
def telemetry(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    wh = new_warehouse(tmp_path_factory.mktemp("telemetry"))
    ingests = {}
    for producer in PRODUCERS:
        for name in DATA_FILES:
            path = TELEMETRY / producer / name
            if path.is_file():
                result = wh.ingest(path, check=False)
                ingests[f"{producer}/{name}"] = (result.returncode, result.stdout[-800:] + result.stderr[-800:])
    build = wh.dbt("build", "--exclude-resource-type", "unit_test", check=False)
    columns = [c for (c,) in wh.query(
        "select column_name from information_schema.columns where table_schema = 'audit' and table_name = 'rejected_rows'")]
    rejected = [dict(zip(columns, row)) for row in wh.query("select * from audit.rejected_rows")]
    events = [dict(zip(EVENT_COLUMNS, row)) for row in wh.query(
        f"select {', '.join(EVENT_COLUMNS)} from marts.fct_usage_events")]
    loads = dict(wh.query("select distinct load_id, file_path from raw.source_documents"))
    return {"wh": wh, "ingests": ingests, "build_rc": build.returncode, "rejected": rejected, "events": events,
            "loads": loads}


def producer_of(path: object) -> str | None:
    parts = Path(str(path)).parts
    return parts[-2] if len(parts) >= 2 and parts[-2] in PRODUCERS else None


@pytest.mark.parametrize("producer", PRODUCERS)
def test_producer_calls_are_priced_once_and_owned(telemetry: dict[str, Any], producer: str) -> None:
    problems: list[str] = []
    for key, (rc, output) in telemetry["ingests"].items():
        if key.startswith(f"{producer}/") and rc != 0:
            problems.append(f"ingest {key} exited {rc}: {output.strip()[-300:]}")
    rejected = [r for r in telemetry["rejected"] if producer_of(r.get("file_path")) == producer]
    for row in rejected:
        problems.append(f"rejected: {row.get('reject_reason')} ({row.get('record_id') or row.get('document_number')})")
    mine = [e for e in telemetry["events"] if producer_of(telemetry["loads"].get(e["first_load_id"])) == producer]
    calls = expected(producer)["calls"]
    matched: set[int] = set()
    for index, (call, ids) in enumerate(zip(calls, call_ids(producer), strict=True)):
        label = f"call {index} {call['provider']} {call['api']} {call['served_model']}"
        hits = [e for e in telemetry["events"] if e["response_id"] in ids or e["event_id"] in ids]
        if call["api"] in NOT_INSTRUMENTED.get(producer, set()):
            written = "".join(path.read_text(encoding="utf-8") for name in DATA_FILES
                              if (path := TELEMETRY / producer / name).is_file())
            if hits or any(i in written for i in ids):
                problems.append(f"{label}: expected no span from this producer, found {ids} in its file")
            continue
        if not hits:
            problems.append(f"{label}: no event (ids {ids})")
            continue
        if len(hits) > 1:
            problems.append(f"{label}: {len(hits)} events (double counted: {[h['source'] for h in hits]})")
        event = hits[0]
        matched.update(id(h) for h in hits)
        want = oracle(producer, call, event["occurred_at"])
        got = event["list_cost_usd"]
        if got is None:
            problems.append(f"{label}: unpriced ({event['unpriced_reason']}), calc_price {want}")
        elif abs(Decimal(got) - want) > TOLERANCE:
            problems.append(f"{label}: list cost {got} != calc_price {want}")
        owner = (event["tag_team"], event["project"], event["customer"])
        if owner != (call["team"], call["project"], call["customer"]):
            problems.append(f"{label}: team/project/customer {owner} != {(call['team'], call['project'], call['customer'])}")
    extra = [e for e in mine if id(e) not in matched]
    for event in extra:
        problems.append(f"event matching no call: {event['event_id']} {event['model_id']} {event['list_cost_usd']}")
    assert not problems, f"{producer}:\n  " + "\n  ".join(problems)
