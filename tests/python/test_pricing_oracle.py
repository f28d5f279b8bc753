"""Pricing conformance against genai-prices' own calc_price (the reference implementation).

1. The corpus: every OpenAI-shaped (chat or responses) and Anthropic-shaped response body of
   ../shared/corpora/genai-prices-usages.json wrapped as a gateway record (fixed timestamp);
   list_cost_usd must equal calc_price within 1e-9 USD for every body calc_price can price, and be
   NULL where it cannot.
2. The whole catalog: for every provider and model of the pinned catalog, a request referencing the
   model by its id, with the provider given and (separately) left blank for inference, at two times
   of day (time-of-day windows) and as a batch request (variants). Resolution and price must match.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import genai_prices
import pytest
from conftest import report
from genai_prices.data import providers as CATALOG
from harness import Warehouse, new_warehouse
from oracle_corpus import CORPUS, gateway_record, oracle_cases

TOLERANCE = Decimal("1e-9")
pytestmark = pytest.mark.skipif(
    not CORPUS.exists(), reason=f"the shared corpus {CORPUS} is absent (a fresh clone without ../shared); CI has it"
)


@pytest.fixture(scope="module")
def corpus_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, list[Any]]:
    wh = new_warehouse(tmp_path_factory.mktemp("oracle"))
    cases = oracle_cases()
    path = wh.root / "oracle.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(gateway_record(case)) + "\n")
    wh.ingest(path)
    wh.dbt("build", "--select", "+fct_usage_events", "+audit_rejected_rows", "--indirect-selection", "cautious")
    return wh, cases


def test_corpus_prices_equal_calc_price(corpus_warehouse: tuple[Warehouse, list[Any]]) -> None:
    wh, cases = corpus_warehouse
    events = {row[0]: row[1:] for row in wh.query("select event_id, list_cost_usd, unpriced_reason from marts.fct_usage_events")}
    rejected = dict(wh.query("select record_id, reject_reason from audit.rejected_rows"))
    counts: Counter[str] = Counter()
    mismatches: list[str] = []
    for case in cases:
        if case.request_id in rejected:
            # Only bodies without a model may be rejected (calc_price cannot price them either).
            counts["rejected_no_model"] += 1
            assert case.expected_usd is None and "model" not in case.body, (case.request_id, rejected[case.request_id])
            assert rejected[case.request_id] == "missing_model"
            continue
        cost, reason = events[case.request_id]
        if case.expected_usd is None:
            counts["unpriceable_null"] += 1
            if cost is not None:
                mismatches.append(f"{case.request_id} {case.body.get('model')}: expected NULL ({case.why_not}), got {cost}")
            else:
                assert reason in ("unknown_provider", "unknown_model")
        else:
            counts["priced"] += 1
            if cost is None or abs(cost - case.expected_usd) > TOLERANCE:
                mismatches.append(f"{case.request_id} {case.body.get('model')}: expected {case.expected_usd}, got {cost} ({reason})")
            elif cost == case.expected_usd:
                counts["priced_exactly_equal"] += 1
    report(
        f"pricing oracle (corpus): {counts['priced'] - len([m for m in mismatches if 'expected NULL' not in m])}/{counts['priced']} "
        f"priceable bodies equal calc_price ({counts['priced_exactly_equal']} to the last decimal); "
        f"{counts['unpriceable_null']} unpriceable bodies NULL; {counts['rejected_no_model']} bodies without a model rejected"
    )
    assert not mismatches, "\n".join(mismatches[:30])
    assert counts["priced"] >= 600  # the corpus has 644 priceable OpenAI/Anthropic bodies at genai-prices 0.2.3


MIDDAY = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
NIGHT = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)  # inside the deepseek off-peak windows


def catalog_records() -> list[tuple[dict[str, Any], str | None, str, datetime, bool]]:
    """(gateway record, provider given or None, model ref, timestamp, batch) for every catalog model."""
    out: list[tuple[dict[str, Any], str | None, str, datetime, bool]] = []
    usage = {"prompt_tokens": 250_000, "completion_tokens": 2_000, "prompt_tokens_details": {"cached_tokens": 50_000}}
    n = 0
    for provider in CATALOG:
        for model in provider.models:
            for given, ts, batch in ((provider.id, MIDDAY, False), (provider.id, NIGHT, False),
                                     (provider.id, MIDDAY, True), (None, MIDDAY, False)):
                n += 1
                record = {
                    "request_id": f"catalog-{n:06d}",
                    "timestamp": ts.isoformat().replace("+00:00", "Z"),
                    "provider": given,
                    "endpoint": "/v1/chat/completions",
                    "status_code": 200,
                    "batch": batch,
                    "response": {"model": model.id, "usage": usage},
                }
                out.append((record, given, model.id, ts, batch))
    return out


def expected_price(given: str | None, model_ref: str, ts: datetime, batch: bool) -> tuple[str | None, Decimal | None]:
    usage = genai_prices.Usage(input_tokens=250_000, cache_read_tokens=50_000, output_tokens=2_000)
    try:
        result = genai_prices.calc_price(
            usage, model_ref, provider_id=given, genai_request_timestamp=ts,
            price_context={"processing": "batch"} if batch else None,
        )
    except LookupError:
        return None, None
    return result.model.id, result.total_price


def test_whole_catalog_resolves_and_prices_like_calc_price(tmp_path: Path) -> None:
    wh = new_warehouse(tmp_path)
    records = catalog_records()
    path = tmp_path / "catalog.jsonl"
    path.write_text("".join(json.dumps(r[0]) + "\n" for r in records), encoding="utf-8")
    wh.ingest(path)
    wh.dbt("build", "--select", "+fct_usage_events", "--indirect-selection", "cautious")
    got = {row[0]: row[1:] for row in wh.query("select event_id, model_id, list_cost_usd from marts.fct_usage_events")}
    mismatches: list[str] = []
    priced = 0
    for record, given, model_ref, ts, batch in records:
        model_id, cost = got[record["request_id"]]
        want_model, want_cost = expected_price(given, model_ref, ts, batch)
        if want_cost is not None:
            priced += 1
        if want_cost is None:
            ok = cost is None
        else:
            ok = cost is not None and model_id == want_model and abs(cost - want_cost) <= TOLERANCE
        if not ok:
            mismatches.append(f"{given}/{model_ref} {ts:%H:%M} batch={batch}: expected {want_model} {want_cost}, got {model_id} {cost}")
    report(f"pricing oracle (catalog): {len(records) - len(mismatches)}/{len(records)} requests agree with calc_price ({priced} priced)")
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:40])
