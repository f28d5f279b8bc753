"""Wraps the genai-prices usage corpus (../shared) as gateway records and computes the oracle prices.

Shared by the oracle test and by anyone who wants to re-run the comparison by hand:
    python tests/python/oracle_corpus.py OUT.jsonl   (writes the wrapped records)
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import genai_prices

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "genai-prices-usages.json"
ORACLE_TIMESTAMP = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class OracleCase:
    request_id: str
    provider: str
    api_flavor: str
    body: dict[str, Any]
    expected_usd: Decimal | None  # None: calc_price cannot price it
    why_not: str | None


def usage_shape(usage: object) -> tuple[str, str, str] | None:
    """(provider, genai-prices api flavor, endpoint) for OpenAI- and Anthropic-shaped usage objects."""
    if not isinstance(usage, dict):
        return None
    if "prompt_tokens" in usage and "completion_tokens" in usage:
        return ("openai", "chat", "/v1/chat/completions")
    anthropic_keys = {"cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation"}
    if "input_tokens" in usage and "output_tokens" in usage:
        if anthropic_keys & usage.keys() or "service_tier" in usage:
            return ("anthropic", "default", "/v1/messages")
        if "input_tokens_details" in usage or "output_tokens_details" in usage:
            return ("openai", "responses", "/v1/responses")
    return None


def service_tier(body: dict[str, Any]) -> str | None:
    usage = body.get("usage") or {}
    return body.get("service_tier") or (usage.get("service_tier") if isinstance(usage, dict) else None)


def oracle_cases() -> list[OracleCase]:
    entries = json.loads(CORPUS.read_text(encoding="utf-8"))
    cases: list[OracleCase] = []
    for index, entry in enumerate(entries):
        body = entry.get("body")
        if not isinstance(body, dict):
            continue
        shape = usage_shape(body.get("usage"))
        if shape is None:
            continue
        provider, flavor, _ = shape
        expected: Decimal | None = None
        why: str | None = None
        try:
            extracted = genai_prices.extract_usage(body, provider_id=provider, api_flavor=flavor)
            tier = service_tier(body)
            price = genai_prices.calc_price(
                extracted.usage,
                body["model"],
                provider_id=provider,
                genai_request_timestamp=ORACLE_TIMESTAMP,
                price_context={"service_tier": tier} if tier else None,
            )
            expected = price.total_price
        except (LookupError, ValueError) as exc:  # calc_price cannot price it
            why = f"{type(exc).__name__}: {exc}"
        cases.append(OracleCase(f"oracle-{index:05d}", provider, flavor, body, expected, why))
    return cases


def gateway_record(case: OracleCase) -> dict[str, Any]:
    shape = usage_shape(case.body["usage"])
    assert shape is not None
    response: dict[str, Any] = {"usage": case.body["usage"]}
    if "model" in case.body:
        response["model"] = case.body["model"]
    if "service_tier" in case.body:
        response["service_tier"] = case.body["service_tier"]
    return {
        "request_id": case.request_id,
        "timestamp": ORACLE_TIMESTAMP.isoformat().replace("+00:00", "Z"),
        "provider": case.provider,
        "endpoint": shape[2],
        "status_code": 200,
        "attempt": 1,
        "retry_of": None,
        "batch": False,
        "response": response,
    }


def write_jsonl(cases: list[OracleCase], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(gateway_record(case)) + "\n")


if __name__ == "__main__":
    write_jsonl(oracle_cases(), Path(sys.argv[1]))
