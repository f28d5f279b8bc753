"""The bundled sample, ingested and built end to end (the same path as `make run`).

Expected outcomes come from data/sample/README.md (the generator's list of deliberate edge cases)
and from hand calculations with published list prices, never from the models' own output.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from harness import Warehouse

M = Decimal(1_000_000)


def event(wh: Warehouse, event_id: str, columns: str) -> tuple:
    rows = wh.query(f"select {columns} from marts.fct_usage_events where event_id = ?", [event_id])
    assert len(rows) == 1, f"{event_id}: {rows}"
    return rows[0]


def file_records(sample_dir: Path) -> dict[str, int]:
    """Records per source counted straight from the files: non-blank JSONL lines, CSV data rows."""
    counts = {"gateway": 0, "jobs": 0}
    for path in sorted(sample_dir.iterdir()):
        if path.name.endswith((".jsonl", ".jsonl.gz")):
            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            counts["gateway"] += sum(1 for line in raw.decode("utf-8").splitlines() if line.strip())
        elif path.suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
            counts["jobs"] += sum(1 for row in list(csv.reader(io.StringIO(text)))[1:] if row)
    return counts


def test_nothing_is_lost(sample_warehouse: Warehouse, sample_dir: Path) -> None:
    expected = file_records(sample_dir)
    landed = dict(sample_warehouse.query(
        "select 'gateway', count(*) from raw.gateway_requests union all select 'jobs', count(*) from raw.jobs_export"))
    assert landed == expected
    for source in ("gateway", "jobs"):
        attempts = sample_warehouse.scalar("select sum(attempts) from marts.fct_usage_events where source = ?", [source])
        duplicates = sample_warehouse.scalar("select count(*) from audit.duplicate_records where source = ?", [source])
        rejected = sample_warehouse.scalar("select count(*) from audit.rejected_rows where source = ?", [source])
        assert attempts + duplicates + rejected == expected[source], source


def test_distinct_records_match_the_generator(sample_warehouse: Warehouse, sample_dir: Path) -> None:
    # The generator counts its own records in data/sample/README.md: distinct gateway requests besides
    # the 6 malformed lines; distinct jobs, 6 of them malformed (ragged, 12k, negative, bad timestamp,
    # absurd, missing output).
    match = re.search(r"Distinct usage records: (\d+) gateway requests, (\d+) jobs", (sample_dir / "README.md").read_text())
    assert match
    gateway_records, job_records = int(match.group(1)), int(match.group(2))
    attempts = dict(sample_warehouse.query("select source, sum(attempts) from marts.fct_usage_events group by 1"))
    rejected = dict(sample_warehouse.query("select source, count(*) from audit.rejected_rows group by 1"))
    assert attempts["gateway"] == gateway_records and rejected["gateway"] == 6
    assert attempts["jobs"] + rejected["jobs"] == job_records and rejected["jobs"] == 6


@pytest.mark.parametrize(
    ("source", "record_id", "reason"),
    [
        ("gateway", "req_edge_no_usage", "missing_usage"),
        ("gateway", "req_edge_bad_timestamp", "invalid_timestamp"),
        ("gateway", "req_edge_tokens_many", "non_numeric_tokens"),
        ("gateway", "req_edge_negative_tokens", "negative_tokens"),
        ("jobs", "job_edge_tokens_12k", "non_numeric_tokens"),
        ("jobs", "job_edge_negative_tokens", "negative_tokens"),
        ("jobs", "job_edge_bad_timestamp", "invalid_timestamp"),
        ("jobs", "job_edge_absurd_tokens", "tokens_over_max"),
        ("jobs", "job_edge_missing_output", "missing_usage"),
    ],
)
def test_malformed_records_are_rejected_with_a_reason(sample_warehouse: Warehouse, source: str, record_id: str, reason: str) -> None:
    rows = sample_warehouse.query("select reject_reason from audit.rejected_rows where source = ? and record_id = ?", [source, record_id])
    assert rows == [(reason,)]
    assert sample_warehouse.scalar("select count(*) from marts.fct_usage_events where event_id = ?", [record_id]) == 0


def test_unreadable_lines_are_rejected_with_lineage(sample_warehouse: Warehouse, sample_dir: Path) -> None:
    # The generator's README gives the physical line of each malformed gateway line.
    readme = (sample_dir / "README.md").read_text()
    truncated_line = int(re.search(r"\| (\d+) \| `req_edge_truncated`", readme).group(1))
    array_line = int(re.search(r"\| (\d+) \| `\(array line\)`", readme).group(1))
    rows = sample_warehouse.query(
        "select source, reject_reason, source_row_number, raw_record from audit.rejected_rows "
        "where reject_reason in ('invalid_json', 'json_not_object', 'ragged_row') order by reject_reason")
    by_reason = {r[1]: r for r in rows}
    assert len(rows) == 3
    assert by_reason["invalid_json"][2] == truncated_line and "req_edge_truncated" in by_reason["invalid_json"][3]
    assert by_reason["json_not_object"][2] == array_line and by_reason["json_not_object"][3].strip() == "[1,2]"
    assert "job_edge_ragged" in by_reason["ragged_row"][3]


def test_duplicates_collapse_and_conflicts_are_listed(sample_warehouse: Warehouse) -> None:
    # 23 + 36 repeated gateway deliveries; 20 repeated job rows (overlapping exports).
    dup = dict(sample_warehouse.query("select source, count(*) from audit.duplicate_records group by 1"))
    assert dup == {"gateway": 59, "jobs": 20}
    conflicts = sample_warehouse.query("select source, record_id from audit.duplicate_records where is_conflict order by 1")
    assert conflicts == [("gateway", "req_4fcaf185dc07dd05"), ("jobs", "job_edge_conflict")]
    # The copy from the most recently loaded file wins: 1450 output tokens (second export), not 1405.
    assert event(sample_warehouse, "job_edge_conflict", "output_tokens") == (1450,)
    # Within one file, the later line wins: 92 completion tokens, not 55.
    assert event(sample_warehouse, "req_4fcaf185dc07dd05", "output_tokens") == (92,)


def test_batch_price_starts_on_its_day(sample_warehouse: Warehouse) -> None:
    # gpt-5.4 (genai-prices 0.2.3): standard input 2.50 / cache read 0.25 / output 15.00 per 1M;
    # batch variant from 2026-10-14: 1.25 / 0.13 / 7.50. Same usage one second apart.
    for event_id, (p_in, p_cache, p_out) in (
        ("req_edge_batch_before", (Decimal("2.5"), Decimal("0.25"), Decimal("15"))),
        ("req_edge_batch_on", (Decimal("1.25"), Decimal("0.13"), Decimal("7.5"))),
    ):
        uncached, cached, output, cost, batch = event(
            sample_warehouse, event_id, "uncached_input_tokens, cache_read_tokens, output_tokens, list_cost_usd, is_batch")
        assert batch is True
        assert uncached + cached <= 272_000
        assert cost == (uncached * p_in + cached * p_cache + output * p_out) / M


def test_long_context_cliff_on_total_input(sample_warehouse: Warehouse) -> None:
    # At exactly 272,000 input tokens: base rates. At 272,001: every token at 5.00 / 0.50 / 22.50.
    uncached, cached, output, cost = event(
        sample_warehouse, "req_edge_gpt54_lc_boundary", "uncached_input_tokens, cache_read_tokens, output_tokens, list_cost_usd")
    assert uncached + cached == 272_000
    assert cost == (uncached * Decimal("2.5") + cached * Decimal("0.25") + output * Decimal("15")) / M
    uncached, cached, output, cost = event(
        sample_warehouse, "req_edge_gpt54_lc_above", "uncached_input_tokens, cache_read_tokens, output_tokens, list_cost_usd")
    assert uncached + cached == 272_001
    assert cost == (uncached * Decimal("5") + cached * Decimal("0.5") + output * Decimal("22.5")) / M


def test_anthropic_tier_counts_cache_tokens(sample_warehouse: Warehouse) -> None:
    # claude-sonnet-4-5: 30,000 input + 160,000 cache read + 10,000 5m + 5,000 1h writes = 205,000 > 200,000,
    # so long-context rates: input 6.00, cache read 0.60, 5m write 7.50, 1h write 12.00, output 22.50 per 1M.
    row = event(sample_warehouse, "req_edge_sonnet45_lc_cache",
                "uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, list_cost_usd")
    uncached, read, w5, w1, output, cost = row
    assert (uncached, read, w5, w1) == (30_000, 160_000, 10_000, 5_000)
    expected = (uncached * Decimal("6") + read * Decimal("0.6") + w5 * Decimal("7.5") + w1 * Decimal("12")
                + output * Decimal("22.5")) / M
    assert cost == expected


def test_months_are_utc_calendar_months(sample_warehouse: Warehouse) -> None:
    assert event(sample_warehouse, "job_edge_tz_month_boundary_sep", "month") == (date(2026, 9, 1),)
    assert event(sample_warehouse, "job_edge_tz_month_boundary_oct", "month") == (date(2026, 10, 1),)
    assert event(sample_warehouse, "job_edge_naive_month_end", "month") == (date(2026, 9, 1),)
    assert event(sample_warehouse, "req_edge_late_arrival", "month") == (date(2026, 9, 1),)
    assert event(sample_warehouse, "req_edge_last_second_sept", "month") == (date(2026, 9, 1),)
    assert event(sample_warehouse, "req_edge_first_second_oct", "month") == (date(2026, 10, 1),)


def test_unknown_model_is_unpriced_never_zero(sample_warehouse: Warehouse) -> None:
    rows = sample_warehouse.query(
        "select event_id, list_cost_usd, unpriced_reason from marts.fct_usage_events where model_requested = 'acme-llm-7b' order by 1")
    assert [r[0] for r in rows] == ["job_edge_unknown_model"] + [f"req_edge_unknown_model_{i}" for i in range(1, 6)]
    assert all(cost is None and reason == "unknown_model" for _, cost, reason in rows)
    listed = sample_warehouse.scalar("select count(*) from audit.unpriced_events where model_requested = 'acme-llm-7b'")
    assert listed == 6


def test_blank_provider_is_inferred_from_the_model(sample_warehouse: Warehouse) -> None:
    assert event(sample_warehouse, "job_edge_blank_provider_1", "provider, model_id") == ("openai", "gpt-5.4")
    assert event(sample_warehouse, "job_edge_blank_provider_2", "provider, model_id") == ("anthropic", "claude-haiku-4-5")
    assert event(sample_warehouse, "job_edge_blank_provider_4", "provider, model_id") == ("anthropic", "claude-sonnet-4-5")


def test_retries_are_one_event_billed_for_every_attempt_with_usage(sample_warehouse: Warehouse) -> None:
    attempts = sample_warehouse.query(
        "select attempt_id, has_usage, list_cost_usd, occurred_at from intermediate.int_usage_attempts_priced "
        "where event_key = 'jobs:job_edge_retry_usage' order by attempt_seq")
    assert [a[0] for a in attempts] == ["job_edge_retry_usage", "job_edge_retry_usage_a2", "job_edge_retry_usage_a3"]
    billed = [a for a in attempts if a[1]]
    assert len(billed) >= 2  # attempt 1 failed WITH usage, attempt 3 succeeded
    count, cost, occurred = event(sample_warehouse, "job_edge_retry_usage", "attempts, list_cost_usd, occurred_at")
    assert count == 3
    assert cost == sum(a[2] for a in billed)
    assert occurred == attempts[0][3]
    group = sample_warehouse.query(
        "select attempts, billed_attempts, non_final_attempts_cost_usd from audit.retry_groups where event_key = 'jobs:job_edge_retry_usage'")
    assert group == [(3, len(billed), sum(a[2] for a in attempts[:2] if a[1]))]


def test_invalid_labels_keep_the_row(sample_warehouse: Warehouse) -> None:
    listed = {r[0] for r in sample_warehouse.query("select job_id from audit.invalid_labels")}
    assert {"job_edge_bad_labels_1", "job_edge_bad_labels_2"} <= listed
    assert event(sample_warehouse, "job_edge_bad_labels_1", "tag_team") == (None,)


def test_headers_are_case_insensitive(sample_warehouse: Warehouse) -> None:
    team, project, environment = event(sample_warehouse, "req_edge_mixed_case_headers", "tag_team, project, environment")
    assert team and project and environment


def test_make_run_summary_prints(sample_warehouse: Warehouse) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tokenledger", "summary", "--db", str(sample_warehouse.db)],
        capture_output=True, text=True, check=True)
    assert "tokenledger summary — 2026-10 — " in result.stdout  # the latest complete month
    assert "platform (Platform Engineering)" in result.stdout  # names beside ids
    assert "reconciliation passed" in result.stdout
    assert "acme-llm-7b" in result.stdout
    # the budget warning test warns (severity warn) without counting as a failure
    assert "warning: warn_budgets_over_warning_threshold" in result.stdout and " 0 failed" in result.stdout


def test_summary_month_is_the_latest_complete_one(sample_warehouse: Warehouse) -> None:
    from datetime import date

    from tokenledger.common import connect
    from tokenledger.summary import default_month

    with connect(sample_warehouse.db, read_only=True) as con:
        assert default_month(con, date(2026, 12, 1)) == (date(2026, 10, 1), False)
        assert default_month(con, date(2026, 10, 31)) == (date(2026, 9, 1), False)  # October is not over
        assert default_month(con, date(2026, 9, 2)) == (date(2026, 10, 1), True)  # nothing complete: in progress
    chosen = subprocess.run([sys.executable, "-m", "tokenledger", "summary", "--db", str(sample_warehouse.db),
                             "--month", "2026-09"], capture_output=True, text=True, check=True)
    assert "tokenledger summary — 2026-09 — " in chosen.stdout


def test_summary_reports_the_last_builds_own_tests_not_a_results_file(sample_warehouse: Warehouse) -> None:
    stale = sample_warehouse.root / "target" / "run_results.json"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text('{"results": []}', encoding="utf-8")  # what another dbt command leaves behind
    result = subprocess.run([sys.executable, "-m", "tokenledger", "summary", "--db", str(sample_warehouse.db)],
                            capture_output=True, text=True, check=True, cwd=sample_warehouse.root)
    assert "warning: warn_budgets_over_warning_threshold" in result.stdout
    assert "Tests (dbt build at " in result.stdout
