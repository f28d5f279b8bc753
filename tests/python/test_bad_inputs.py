"""Bad inputs end to end: each malformed file or record and its expected outcome.

File-level problems are refused by the ingest (one line naming the file, exit 1, other files land);
row-level problems land raw and are rejected by staging with a reason; nothing is silently dropped.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from harness import Warehouse, new_warehouse

JOBS_HEADER = ("job_id,created_at,agent,model,provider,input_tokens,cached_input_tokens,output_tokens,"
               "status,api_key_id,user_email,workflow,labels,attempt,retry_of")


def gw(request_id: str, **overrides: object) -> str:
    record: dict[str, object] = {
        "request_id": request_id, "timestamp": "2026-10-03T12:00:00Z", "provider": "openai",
        "endpoint": "/v1/chat/completions", "status_code": 200, "agent": "a", "attempt": 1, "retry_of": None,
        "batch": False, "headers": {"x-team": "search"},
        "response": {"model": "gpt-5.4-mini", "usage": {"prompt_tokens": 1000, "completion_tokens": 100}},
    }
    record.update(overrides)
    return json.dumps(record)


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, str]:
    wh = new_warehouse(tmp_path_factory.mktemp("bad_inputs"))
    d = wh.root / "in"
    d.mkdir()
    # File-level refusals
    (d / "a_missing_column.csv").write_text("job_id,created_at,model,input_tokens\nj1,2026-10-01T00:00:00Z,gpt-5.4,10\n")
    (d / "b_unknown_format.txt").write_text("hello, this is not an export\n")
    (d / "c_empty.csv").write_bytes(b"")
    (d / "d_header_only.csv").write_text(JOBS_HEADER + "\n")
    # BOM + CRLF + quoted newline + quoted comma, all valid rows
    rows = [
        JOBS_HEADER,
        'bom1,2026-10-01T10:00:00Z,agent,gpt-5.4-mini,openai,1000,0,100,succeeded,,,"line one\r\nline two",,1,',
        'bom2,2026-10-01T11:00:00Z,agent,gpt-5.4-mini,openai,2000,500,100,succeeded,,,"a, b","{""team"": ""search""}",1,',
    ]
    (d / "e_bom_crlf.csv").write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n\r\n").encode("utf-8"))
    # Row-level problems in an otherwise good CSV
    rows = [
        JOBS_HEADER,
        "ok1,2026-10-02T10:00:00Z,agent,gpt-5.4-mini,openai,1000,0,100,succeeded,,,,,1,",
        "nonnum,2026-10-02T10:00:00Z,agent,gpt-5.4-mini,openai,12k,0,100,succeeded,,,,,1,",
        "neg,2026-10-02T10:00:00Z,agent,gpt-5.4-mini,openai,1000,0,-5,succeeded,,,,,1,",
        "absurd,2026-10-02T10:00:00Z,agent,gpt-5.4-mini,openai,1000000000000000,0,100,succeeded,,,,,1,",
        "badts,2026-13-45T25:61:00,agent,gpt-5.4-mini,openai,1000,0,100,succeeded,,,,,1,",
        "nousage,2026-10-02T10:00:00Z,agent,gpt-5.4-mini,openai,1000,0,,succeeded,,,,,1,",
        "failed_free,2026-10-02T10:00:00Z,agent,gpt-5.4-mini,openai,,,,failed,,,,,1,",
        "ragged,2026-10-02T10:00:00Z,agent,gpt-5.4-mini,openai,1000,0,100,succeeded,,,,,1,,EXTRA",
        "ok2,2026-10-02T11:00:00Z,agent,gpt-5.4-mini,openai,1000,0,100,succeeded,,,,,1,",
    ]
    (d / "f_rows.csv").write_text("\n".join(rows) + "\n")
    # Gateway lines
    lines = [
        gw("g_ok"),
        gw("g_trunc")[:60],
        "[1, 2]",
        gw("g_nousage", response={"model": "gpt-5.4-mini"}),
        gw("g_failed_free", status_code=500, error={"type": "server_error"}, response=None),
        gw("g_badts", timestamp="not a time"),
        gw("g_many", response={"model": "gpt-5.4-mini", "usage": {"prompt_tokens": "many", "completion_tokens": 1}}),
        gw("g_neg", response={"model": "gpt-5.4-mini", "usage": {"prompt_tokens": -3, "completion_tokens": 1}}),
        gw("g_absurd", response={"model": "gpt-5.4-mini", "usage": {"prompt_tokens": 10**15, "completion_tokens": 1}}),
        gw("g_cached_gt_total", response={"model": "gpt-5.4-mini",
                                          "usage": {"prompt_tokens": 10, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 11}}}),
        gw("g_nomodel", response={"usage": {"prompt_tokens": 10, "completion_tokens": 1}}),
        json.dumps({"timestamp": "2026-10-03T12:00:00Z", "status_code": 200}),
    ]
    (d / "g_gateway.jsonl").write_text("\n".join(lines) + "\n")
    result = wh.ingest(d, check=False)
    wh.dbt("build", "--exclude-resource-type", "unit_test")  # data only: the sample's build runs the unit tests
    return wh, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "problem"),
    [("a_missing_column.csv", "missing required columns"), ("b_unknown_format.txt", "unrecognised"), ("c_empty.csv", "empty")],
)
def test_file_refusals_name_the_file_and_problem(bad: tuple[Warehouse, str], name: str, problem: str) -> None:
    wh, output = bad
    lines = [line for line in output.splitlines() if name in line and line.startswith("refused")]
    assert lines and problem in lines[0]
    assert wh.scalar("select status from raw.load_manifest where file_name = ?", [name]) == "refused"


def test_ingest_exit_status_is_non_zero_when_a_file_is_refused(tmp_path: Path) -> None:
    wh = new_warehouse(tmp_path)
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "good.jsonl").write_text(gw("x1") + "\n")
    result = wh.ingest(tmp_path / "empty.jsonl", tmp_path / "good.jsonl", check=False)
    assert result.returncode == 1
    assert wh.scalar("select count(*) from raw.gateway_requests") == 1


def test_header_only_csv_loads_zero_rows(bad: tuple[Warehouse, str]) -> None:
    wh, _ = bad
    assert wh.query("select status, rows from raw.load_manifest where file_name = 'd_header_only.csv'") == [("loaded", 0)]


def test_bom_crlf_and_quoted_newline(bad: tuple[Warehouse, str]) -> None:
    wh, _ = bad
    assert wh.query("select job_id from staging.stg_jobs__jobs where job_id like 'bom%' order by 1") == [("bom1",), ("bom2",)]
    assert wh.scalar("select workflow from staging.stg_jobs__jobs where job_id = 'bom1'") == "line one\r\nline two"
    assert wh.scalar("select workflow from staging.stg_jobs__jobs where job_id = 'bom2'") == "a, b"
    assert wh.scalar("select tag_team from marts.fct_usage_events where event_id = 'bom2'") == "search"


@pytest.mark.parametrize(
    ("source", "record_id", "reason"),
    [
        ("jobs", "nonnum", "non_numeric_tokens"),
        ("jobs", "neg", "negative_tokens"),
        ("jobs", "absurd", "tokens_over_max"),
        ("jobs", "badts", "invalid_timestamp"),
        ("jobs", "nousage", "missing_usage"),
        ("gateway", "g_nousage", "missing_usage"),
        ("gateway", "g_badts", "invalid_timestamp"),
        ("gateway", "g_many", "non_numeric_tokens"),
        ("gateway", "g_neg", "negative_tokens"),
        ("gateway", "g_absurd", "tokens_over_max"),
        ("gateway", "g_cached_gt_total", "inconsistent_tokens"),
        ("gateway", "g_nomodel", "missing_model"),
    ],
)
def test_row_problems_are_rejected_with_reason(bad: tuple[Warehouse, str], source: str, record_id: str, reason: str) -> None:
    wh, _ = bad
    assert wh.query("select reject_reason from audit.rejected_rows where source = ? and record_id = ?", [source, record_id]) == [(reason,)]


def test_unreadable_rows_are_rejected_not_dropped(bad: tuple[Warehouse, str]) -> None:
    wh, _ = bad
    reasons = dict(wh.query(
        "select reject_reason, count(*) from audit.rejected_rows where reject_reason in "
        "('ragged_row', 'invalid_json', 'json_not_object', 'missing_id') group by 1"))
    assert reasons == {"ragged_row": 1, "invalid_json": 1, "json_not_object": 1, "missing_id": 1}


def test_good_rows_beside_bad_ones_still_land(bad: tuple[Warehouse, str]) -> None:
    wh, _ = bad
    events = {r[0] for r in wh.query("select event_id from marts.fct_usage_events")}
    assert {"ok1", "ok2", "g_ok", "bom1", "bom2"} <= events


def test_failed_requests_without_usage_cost_nothing(bad: tuple[Warehouse, str]) -> None:
    wh, _ = bad
    rows = wh.query("select event_id, list_cost_usd, output_tokens from marts.fct_usage_events "
                    "where event_id in ('failed_free', 'g_failed_free') order by 1")
    assert [(r[0], r[1], r[2]) for r in rows] == [("failed_free", 0, 0), ("g_failed_free", 0, 0)]


def test_directory_ingest_skips_documentation_but_not_named_files(tmp_path: Path) -> None:
    wh = new_warehouse(tmp_path)
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "README.md").write_text("# what these exports are\n")
    (exports / "requests.jsonl").write_text(gw("d1") + "\n")
    assert wh.ingest(exports).returncode == 0
    assert wh.query("select file_name, status from raw.load_manifest") == [("requests.jsonl", "loaded")]
    named = wh.ingest(exports / "README.md", check=False)  # named explicitly: tried, and refused
    assert named.returncode == 1 and "unrecognised" in named.stdout + named.stderr


# --- Regressions from review: odd values must reject a row (or be read as NULL), never fail the build.

@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    wh = new_warehouse(tmp_path_factory.mktemp("odd_values"))
    rows = [
        JOBS_HEADER,
        "A1,2026-09-10T10:00:00Z,search-bot,gpt-5.4,openai,1000,0,100,succeeded,,,,,2nd,",
        "BIG,2026-09-10T10:00:00Z,search-bot,gpt-5.4,openai,99999999999999999999,0,100,succeeded,,,,,1,",
        # a retry chain whose links point at the previous attempt, not the first: one event keyed by C1
        "C1,2026-09-10T11:00:00Z,search-bot,gpt-5.4,openai,1000,0,100,failed,,,,,1,",
        "C2,2026-09-10T11:00:05Z,search-bot,gpt-5.4,openai,1000,0,100,failed,,,,,2,C1",
        "C3,2026-09-10T11:00:10Z,search-bot,gpt-5.4,openai,1000,0,100,succeeded,,,,,3,C2",
        # a failed attempt reporting only input tokens is billed for them
        "F1,2026-09-10T12:00:00Z,search-bot,gpt-5.4,openai,500,0,,failed,,,,,1,",
        # an unpriced failed attempt before a priced retry
        "V1,2026-09-10T13:00:00Z,search-bot,no-such-model,openai,1000,0,100,failed,,,,,1,",
        "V2,2026-09-10T13:00:05Z,search-bot,gpt-5.4,openai,1000,0,100,succeeded,,,,,2,V1",
    ]
    (wh.root / "odd.csv").write_text("\n".join(rows) + "\n")
    (wh.root / "odd.jsonl").write_text(gw("T1", status_code="timeout") + "\n")
    wh.ingest(wh.root / "odd.csv", wh.root / "odd.jsonl")
    wh.dbt("build", "--select", "+fct_usage_events", "+audit_retry_groups", "+audit_rejected_rows",
           "--indirect-selection", "cautious")
    return wh


def test_non_integer_attempt_and_status_are_read_as_null(odd: Warehouse) -> None:
    assert odd.query("select attempt_number from staging.stg_jobs__jobs where job_id = 'A1'") == [(None,)]
    assert odd.query("select status_code, is_failed from staging.stg_gateway__requests where request_id = 'T1'") == [(None, False)]


def test_token_count_beyond_bigint_is_rejected_not_fatal(odd: Warehouse) -> None:
    assert odd.query("select reject_reason from audit.rejected_rows where record_id = 'BIG'") == [("tokens_over_max",)]


def test_retry_chain_through_a_later_attempt_is_one_event(odd: Warehouse) -> None:
    # 3 attempts x (1,000 x 2.50 + 100 x 15.00) / 1e6 = 3 x 0.004 = 0.012
    assert odd.query("select event_id, attempts, list_cost_usd from marts.fct_usage_events where event_id like 'C%'") == [
        ("C1", 3, Decimal("0.012"))]


def test_failed_attempt_with_partial_usage_is_billed(odd: Warehouse) -> None:
    # 500 x 2.50 / 1e6 = 0.00125
    assert odd.query("select uncached_input_tokens, output_tokens, list_cost_usd from marts.fct_usage_events where event_id = 'F1'") == [
        (500, 0, Decimal("0.00125"))]


def test_unpriced_non_final_attempt_is_not_zero(odd: Warehouse) -> None:
    assert odd.query("select non_final_attempts_cost_usd, unpriced_attempts from audit.retry_groups where event_id = 'V1'") == [(None, 1)]
    assert odd.query("select list_cost_usd, unpriced_reason from marts.fct_usage_events where event_id = 'V1'") == [(None, "unknown_model")]
