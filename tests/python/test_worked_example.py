"""The FinOps worked example and exactness of money, on the Jobs export path.

Expected values are hand calculations from the published list prices of gpt-5.4 (genai-prices
0.2.3): input $2.50 / 1M tokens, output $15.00 / 1M below 272,000 input tokens per request;
over that threshold every token of the request is charged $5.00 / $22.50 (a cliff, not marginal).
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from harness import Warehouse, new_warehouse

HEADER = ["job_id", "created_at", "agent", "model", "provider", "input_tokens", "cached_input_tokens",
          "output_tokens", "status", "api_key_id", "user_email", "workflow", "labels", "attempt", "retry_of"]


def job(job_id: str, team: str, input_tokens: int, output_tokens: int, *, model: str = "gpt-5.4",
        provider: str = "openai", cached: int = 0, created_at: str = "2026-10-05T10:00:00Z") -> list[str]:
    labels = json.dumps({"team": team})
    return [job_id, created_at, f"{team}-agent", model, provider, str(input_tokens), str(cached),
            str(output_tokens), "succeeded", "", "", "", labels, "1", ""]


def write_jobs(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    wh = new_warehouse(tmp_path_factory.mktemp("worked_example"))
    rows: list[list[str]] = []
    # Team Search: 1.2M input / 300k output in six requests of 200k / 50k (each below the 272k tier).
    rows += [job(f"search-{i}", "search", 200_000, 50_000) for i in range(6)]
    # Team Support: 900k input / 300k output in six requests of 150k / 50k.
    rows += [job(f"support-{i}", "support", 150_000, 50_000) for i in range(6)]
    # One long-context request: 300,000 input (> 272,000) and 10,000 output, all at tier rates.
    rows.append(job("longctx-1", "longctx", 300_000, 10_000))
    # Exactly at the threshold: 272,000 is not above it, so base rates.
    rows.append(job("boundary-1", "boundary", 272_000, 0))
    # A catalog price with 17 decimals: huggingface_together Qwen/Qwen3-VL-8B-Instruct input $0.18000000000000002 / 1M.
    rows.append(job("exact-1", "exact", 7_777_777, 0, model="Qwen/Qwen3-VL-8B-Instruct", provider="huggingface_together"))
    # Cached input at the cache-read price: 100,000 input of which 40,000 cached, 1,000 output.
    rows.append(job("cached-1", "cached", 100_000, 1_000, cached=40_000))
    path = write_jobs(wh.root / "worked-example.csv", rows)
    wh.ingest(path)
    wh.dbt("build", "--select", "+fct_usage_events", "--indirect-selection", "cautious")
    return wh


def team_cost(wh: Warehouse, team: str) -> Decimal:
    return wh.scalar("select sum(list_cost_usd) from marts.fct_usage_events where tag_team = ?", [team])


def test_team_search_pays_7_50(example: Warehouse) -> None:
    # 1,200,000 * 2.50 / 1e6 + 300,000 * 15.00 / 1e6 = 3.00 + 4.50
    assert team_cost(example, "search") == Decimal("7.50")


def test_team_support_pays_6_75(example: Warehouse) -> None:
    # 900,000 * 2.50 / 1e6 + 300,000 * 15.00 / 1e6 = 2.25 + 4.50
    assert team_cost(example, "support") == Decimal("6.75")


def test_long_context_tier_is_a_cliff(example: Warehouse) -> None:
    # 300,000 * 5.00 / 1e6 + 10,000 * 22.50 / 1e6 = 1.50 + 0.225
    assert team_cost(example, "longctx") == Decimal("1.725")
    # 272,000 * 2.50 / 1e6 = 0.68 (at the threshold, not over it)
    assert team_cost(example, "boundary") == Decimal("0.68")


def test_cache_reads_use_the_cache_read_price(example: Warehouse) -> None:
    # 60,000 uncached * 2.50 + 40,000 cached * 0.25 + 1,000 * 15.00, all / 1e6 = 0.15 + 0.01 + 0.015
    assert team_cost(example, "cached") == Decimal("0.175")


def test_money_is_exact_to_the_last_decimal(example: Warehouse) -> None:
    # 7,777,777 * 0.18000000000000002 / 1e6, computed exactly with Python's Decimal:
    expected = Decimal(7_777_777) * Decimal("0.18000000000000002") / Decimal(1_000_000)
    assert expected == Decimal("1.39999986000000015555554")
    assert team_cost(example, "exact") == expected
    column_type = example.scalar(
        "select data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'fct_usage_events' and column_name = 'list_cost_usd'"
    )
    assert column_type == "DECIMAL(38,24)"
