"""Ingest refuses near-miss column names (Jobs CSV header, gateway JSONL keys) unless --accept-columns.

A typo of a known column is not an unknown column to keep: `cached_input_token` would leave the cached
tokens unread and bill them at the full input price. Real providers' own field names are never refused.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tokenledger import ingest

HEADER = ["job_id", "created_at", "agent", "model", "provider", "input_tokens", "cached_input_tokens", "output_tokens"]
ROW = ["j-1", "2026-10-01T10:00:00Z", "a", "gpt-5.4-mini", "openai", "100", "40", "10"]
GATEWAY_MODEL = ingest.GATEWAY_MODEL


def jobs_csv(path: Path, header: list[str], row: list[str] = ROW) -> Path:
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    return path


def gateway(path: Path, *usages: dict[str, Any], top: dict[str, Any] | None = None) -> Path:
    lines = [json.dumps({"request_id": f"r-{i}", "timestamp": "2026-10-01T10:00:00Z", "provider": "openai",
                         "response": {"id": f"x-{i}", "model": "gpt-5.4-mini", "usage": usage}, **(top or {})})
             for i, usage in enumerate(usages)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(db: Path, capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = ingest.main(["--db", str(db), *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def q(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize(("name", "suggestion"), [
    ("cached_input_token", "cached_input_tokens"), ("outputTokens", "output_tokens"),
    ("Cached Input Tokens", "cached_input_tokens"), ("Input-Tokens", "input_tokens"), ("cachedInputTokens", "cached_input_tokens"),
    ("agnet", "agent"), ("creatd_at", "created_at"), ("labels ", None), ("Job_Id", None), ("CACHED_INPUT_TOKENS", None),
    # other columns, kept raw as before: short names and other words are not misspellings
    ("region", None), ("state", None), ("event", None), ("team", None), ("cost", None), ("user_id", None),
    ("total_tokens", None), ("org_id", None), ("api_key", None), ("updated_at", None), ("model_name", None),
])  # fmt: skip
def test_near_miss_of_the_jobs_columns(name: str, suggestion: str | None) -> None:
    assert ingest.near_miss(name, ingest.JOBS_COLUMNS) == suggestion


def test_a_known_column_present_is_not_misspelt_by_its_neighbour() -> None:
    header = [*HEADER, "cached_input_token"]
    assert ingest.near_miss("cached_input_token", ingest.JOBS_COLUMNS, present=header) is None


def test_the_known_gateway_keys_are_what_staging_reads() -> None:
    read = set(re.findall(r"'\$\.([A-Za-z0-9_.]+)'", GATEWAY_MODEL.read_text(encoding="utf-8")))
    levels = ingest.gateway_known_keys()
    assert {"output_tokens", "prompt_tokens", "cache_read_input_tokens", "input_tokens_details"} <= set(levels["$.response.usage"])
    for level, keys in levels.items():
        prefix = level.removeprefix("$").removeprefix(".")
        for key in keys:
            path = f"{prefix}.{key}" if prefix else key
            assert any(p == path or p.startswith(path + ".") for p in read), path


# Usage field names real providers write (OpenAI chat and responses, Anthropic, xAI, DeepSeek, OpenRouter, Gemini's
# OpenAI compatibility, Bedrock via LiteLLM ...): none of them is a misspelling of a key staging reads.
PROVIDER_USAGE_KEYS = [
    "prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details",
    "input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details", "cache_read_input_tokens",
    "cache_creation_input_tokens", "cache_creation", "server_tool_use", "service_tier", "num_sources_used",
    "prompt_cache_hit_tokens", "prompt_cache_miss_tokens", "cost", "is_byok", "cost_details", "inference_geo",
    "reasoning_tokens", "cached_tokens", "audio_tokens", "text_tokens", "image_tokens", "thoughts_token_count",
]  # fmt: skip
PROVIDER_DETAIL_KEYS = [
    "cached_tokens", "audio_tokens", "reasoning_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens",
    "text_tokens", "image_tokens", "cache_write_tokens", "thinking_tokens", "ephemeral_5m_input_tokens",
    "ephemeral_1h_input_tokens", "web_search_requests", "web_fetch_requests", "code_execution_requests",
]  # fmt: skip


def test_real_provider_field_names_are_never_refused() -> None:
    levels = ingest.gateway_known_keys()
    for level, known in levels.items():
        names = PROVIDER_USAGE_KEYS if level == "$.response.usage" else PROVIDER_DETAIL_KEYS
        if level == "$":
            continue
        refused = {name: ingest.near_miss(name, known) for name in names if ingest.near_miss(name, known)}
        assert not refused, (level, refused)


def test_a_near_miss_jobs_column_refuses_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "wh.duckdb"
    typo = jobs_csv(tmp_path / "jobs.csv", [h if h != "cached_input_tokens" else "cached_input_token" for h in HEADER])
    code, out, err = run(db, capsys, typo)
    line = (f'refused {typo}: column "cached_input_token" — did you mean cached_input_tokens? '
            "(pass --accept-columns to load the file as is)")
    assert (code, out.splitlines(), err.splitlines()) == (1, [line], [line])
    assert q(db, "select count(*) from raw.jobs_export") == [(0,)]
    assert q(db, "select status, format from raw.load_manifest") == [("refused", "jobs_csv")]
    # --accept-columns: landed as is, the unknown column kept raw in extra_columns
    code, out, _ = run(db, capsys, "--accept-columns", typo)
    assert code == 0 and out.startswith(f"loaded {typo}: 1 rows")
    (cached, extra), = q(db, "select cached_input_tokens, extra_columns from raw.jobs_export")
    assert cached is None and json.loads(extra) == {"cached_input_token": "40"}


def test_other_unknown_columns_are_still_kept_raw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "wh.duckdb"
    path = jobs_csv(tmp_path / "jobs.csv", [*HEADER[:-1], "Output_Tokens", "region"], [*ROW, "eu"])
    code, out, _ = run(db, capsys, path)
    assert code == 0, out
    assert q(db, "select output_tokens, extra_columns from raw.jobs_export") == [("10", '{"region":"eu"}')]


def test_a_near_miss_usage_key_refuses_a_gateway_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "wh.duckdb"
    path = gateway(tmp_path / "gw.jsonl", {"input_tokens": 10, "output_tokens": 2},
                   {"input_tokens": 10, "outputTokens": 2})
    code, out, err = run(db, capsys, path)
    line = (f'refused {path}: key "response.usage.outputTokens" (line 2) — did you mean response.usage.output_tokens? '
            "(pass --accept-columns to load the file as is)")
    assert (code, out.splitlines(), err.splitlines()) == (1, [line], [line])
    assert q(db, "select count(*) from raw.gateway_requests") == [(0,)]
    code, _, _ = run(db, capsys, "--accept-columns", path)
    assert code == 0
    assert q(db, "select count(*) from raw.gateway_requests") == [(2,)]


def test_gateway_details_and_top_level_keys_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "wh.duckdb"
    details = gateway(tmp_path / "details.jsonl",
                      {"prompt_tokens": 10, "completion_tokens": 2, "prompt_tokens_details": {"cached_token": 4}})
    top = gateway(tmp_path / "top.jsonl", {"prompt_tokens": 1}, top={"agnet": "search-bot"})
    fine = gateway(tmp_path / "fine.jsonl",
                   {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12,
                    "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 1, "accepted_prediction_tokens": 0}},
                   {"input_tokens": 5, "output_tokens": 1, "cache_read_input_tokens": 3, "cache_creation_input_tokens": 0,
                    "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                    "server_tool_use": {"web_search_requests": 1}, "service_tier": "standard"},
                   top={"latency_ms": 12, "metadata": {"x": 1}})  # fmt: skip
    code, out, _ = run(db, capsys, details, top, fine)
    assert code == 1
    assert out.splitlines() == [
        f'refused {details}: key "response.usage.prompt_tokens_details.cached_token" (line 1) — did you mean '
        "response.usage.prompt_tokens_details.cached_tokens? (pass --accept-columns to load the file as is)",
        f'refused {top}: key "agnet" (line 1) — did you mean agent? (pass --accept-columns to load the file as is)',
        out.splitlines()[2],
    ]
    assert out.splitlines()[2].startswith(f"loaded {fine}: 2 rows")


def odd_gateway_lines(count: int, typo_at: int | None = None, mixed: bool = True) -> bytes:
    """Gateway lines with a BOM, CRLF ends (`mixed`: some LF ends too, which the fallback reader splits), blank and
    whitespace-only lines, invalid UTF-8 and a long line; `typo_at`: the physical line whose `agent` is misspelt."""
    lines = []
    for n in range(1, count + 1):
        key = "agnet" if n == typo_at else "agent"
        body = json.dumps({"request_id": f"r-{n}", key: "a", "pad": "x" * (n % 997) * (70 if n == 777 else 1)})
        lines.append(b"   " if n % 11 == 0 else b"" if n % 13 == 0 else body.encode())
    lines[2] = b'{"request_id": "r-3", "note": "\xff\xfe"}'
    return b"\xef\xbb\xbf" + b"".join(line + (b"\r\n" if i % 3 or not mixed else b"\n") for i, line in enumerate(lines))


@pytest.mark.parametrize("mixed", [True, False])
def test_a_plain_file_s_sampled_lines_are_the_landed_ones(tmp_path: Path, mixed: bool) -> None:
    """The key check reads a plain file's sampled lines from the file (its line index): the same lines, with the
    same text, as the rows landed for those line numbers (by the line reader and by the fallback reader)."""
    path = tmp_path / "odd.jsonl"
    path.write_bytes(odd_gateway_lines(25_000, mixed=mixed))
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ingest.ensure_raw_tables(con)
    assert ingest.ingest_file(con, path, ingest.Options(accept_columns=True)).status == "loaded"
    scan = ingest.scan_file(path)
    assert scan.line_index is not None
    (last,) = con.execute("select max(line_number) from raw.gateway_requests").fetchone()  # type: ignore[misc]
    stride = max(1, last // ingest.NEAR_MISS_SPREAD)
    landed = con.execute(
        "select line_number, raw_line from raw.gateway_requests where raw_line is not null "
        f"and (line_number <= {ingest.NEAR_MISS_HEAD} or line_number % {stride} = 0) order by line_number"
    ).fetchall()
    sample = ingest.file_sample(path, scan.line_index, last, stride)
    if not mixed:  # the line reader's reject table holds an invalid byte as "?", the fallback reader as U+FFFD
        sample = [(n, text.replace("\ufffd", "?")) for n, text in sample]
    assert sample == landed
    assert len(landed) > ingest.NEAR_MISS_HEAD


def test_a_spread_line_s_near_miss_refuses_plain_and_gzip_alike(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A near-miss on a sampled line far into the file: the plain file (read through its line index) and the
    same content gzipped (read from the landed rows) are refused with the same line number."""
    content = odd_gateway_lines(25_000, typo_at=20_000)  # a multiple of the stride (25), not blank
    plain = tmp_path / "gw.jsonl"
    plain.write_bytes(content)
    packed = tmp_path / "gw.jsonl.gz"
    packed.write_bytes(gzip.compress(content))
    code, out, _ = run(tmp_path / "wh.duckdb", capsys, plain, packed)
    tail = 'key "agnet" (line 20000) — did you mean agent? (pass --accept-columns to load the file as is)'
    assert (code, out.splitlines()) == (1, [f"refused {plain}: {tail}", f"refused {packed}: {tail}"])
