"""A corpus of hostile files, each landed into one warehouse, then one build that must stay green.

Per file: the ingest exits 0 (landed) or 1 (refused), never with a traceback; a refusal is one line on
stderr naming the file; a landed JSON Lines file has exactly one raw row per non-blank physical line, and a
refused file has none. Then a single `dbt build` over everything must pass (the conservation test among
its data tests: raw = events + duplicates + rejects + set-aside, per source), and no bad timestamp may
move the latest month.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import Warehouse, new_warehouse

pytestmark = pytest.mark.slow

OK_TS = "2026-10-05T12:00:00Z"
JOBS_HEADER = "job_id,created_at,agent,model,provider,input_tokens,cached_input_tokens,output_tokens,status\n"


def gw(request_id: str, *, ts: str = OK_TS, usage: Any = None, **extra: Any) -> str:
    body = {"prompt_tokens": 100, "completion_tokens": 20} if usage is None else usage
    return json.dumps({"request_id": request_id, "timestamp": ts, "provider": "openai", "status_code": 200,
                       "response": {"model": "gpt-4o-mini", "usage": body}, **extra})


def lines(*items: str, end: str = "\n") -> bytes:
    return (end.join(items) + end).encode("utf-8")


def nested(depth: int) -> str:
    return '{"request_id":"deep","timestamp":"' + OK_TS + '","response":' + '{"a":' * depth + "1" + "}" * depth + "}"


# name -> (file name, bytes). Gateway JSON Lines unless the name says otherwise.
CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "truncated_last_line": ("gw.jsonl", lambda: lines(gw("t1")) + gw("t2").encode()[:40]),
    "byte_flip_brace": ("gw.jsonl", lambda: lines(gw("f1"), "[" + gw("f2")[1:])),
    "invalid_utf8_in_string": ("gw.jsonl", lambda: lines(gw("u1")) + gw("u2").encode().replace(b"u2", b"u\xff\xfe2") + b"\n"),
    "utf8_bom": ("gw.jsonl", lambda: b"\xef\xbb\xbf" + lines(gw("b1"), gw("b2"))),
    "nul_byte_inside_line": ("gw.jsonl", lambda: lines(gw("n1")) + gw("n\x002").encode() + b"\n"),
    "crlf_line_endings": ("gw.jsonl", lambda: lines(gw("c1"), gw("c2"), end="\r\n")),
    "blank_and_whitespace_lines": ("gw.jsonl", lambda: lines(gw("w1"), "", "   \t", gw("w2"), "")),
    "exponent_token_count": ("gw.jsonl", lambda: lines(gw("e1", usage={"prompt_tokens": 1e3, "completion_tokens": 2}))),
    "float_token_count": ("gw.jsonl", lambda: lines(gw("e2", usage={"prompt_tokens": 10.5, "completion_tokens": 2}))),
    "string_token_count": ("gw.jsonl", lambda: lines(gw("e3", usage={"prompt_tokens": "12", "completion_tokens": 2}))),
    "negative_token_count": ("gw.jsonl", lambda: lines(gw("e4", usage={"prompt_tokens": -1, "completion_tokens": 2}))),
    "huge_token_count": ("gw.jsonl", lambda: lines(gw("e5", usage={"prompt_tokens": 10**30, "completion_tokens": 2}))),
    "boolean_token_count": ("gw.jsonl", lambda: lines(gw("e6", usage={"prompt_tokens": True, "completion_tokens": 2}))),
    "null_usage": ("gw.jsonl", lambda: lines(gw("e7", usage={"prompt_tokens": None, "completion_tokens": None}))),
    "hex_number_not_json": ("gw.jsonl", lambda: lines(gw("x1"), gw("x2").replace('"prompt_tokens": 100', '"prompt_tokens": 0x10'))),
    "timestamp_epoch_word": ("gw.jsonl", lambda: lines(gw("ts1", ts="epoch"))),
    "timestamp_infinity": ("gw.jsonl", lambda: lines(gw("ts2", ts="infinity"))),
    "timestamp_year_9999": ("gw.jsonl", lambda: lines(gw("ts3", ts="9999-12-31T23:59:59Z"))),
    "timestamp_year_0000": ("gw.jsonl", lambda: lines(gw("ts4", ts="0000-01-01T00:00:00Z"))),
    "timestamp_year_294247": ("gw.jsonl", lambda: lines(gw("ts5", ts="294247-01-10T04:00:54Z"))),
    "timestamp_1999": ("gw.jsonl", lambda: lines(gw("ts6", ts="1999-12-31T23:59:59Z"))),
    "timestamp_offset_plus_14": ("gw.jsonl", lambda: lines(gw("ts7", ts="2026-10-05T12:00:00+14:00"))),
    "timestamp_date_only": ("gw.jsonl", lambda: lines(gw("ts8", ts="2026-10-05"))),
    "timestamp_number": ("gw.jsonl", lambda: lines(gw("ts9").replace(f'"{OK_TS}"', "1759665600"))),
    "duplicate_keys": ("gw.jsonl", lambda: lines(gw("dk1")[:-1] + ', "request_id": "dk2"}')),
    "deep_but_allowed_nesting": ("gw.jsonl", lambda: lines(nested(60))),
    "long_string_value": ("gw.jsonl", lambda: lines(gw("long1", note="x" * 1_000_000))),
    "escaped_nul_in_id": ("gw.jsonl", lambda: lines(gw("esc\u0000id"))),
    "lone_surrogate_escape": ("gw.jsonl", lambda: lines(gw("s1").replace('"s1"', '"s\\ud800"'))),
    "top_level_array_and_null": ("gw.jsonl", lambda: lines(gw("a1"), "[1,2]", "null", '"text"')),
    "same_id_twice_conflicting": ("gw.jsonl", lambda: lines(gw("dup1"), gw("dup1", usage={"prompt_tokens": 5, "completion_tokens": 1}))),
    "empty_file": ("gw.jsonl", lambda: b""),
    "only_newlines": ("gw.jsonl", lambda: b"\n\n\n"),
    "gzip_valid": ("gw.jsonl.gz", lambda: gzip.compress(lines(gw("gz1"), gw("gz2")))),
    "gzip_truncated": ("gw.jsonl.gz", lambda: gzip.compress(lines(gw("gzt1"), gw("gzt2")))[:-12]),
    "gzip_twice": ("gw.jsonl.gz", lambda: gzip.compress(gzip.compress(lines(gw("gg1"))))),
    "jobs_header_only": ("jobs.csv", lambda: JOBS_HEADER.encode()),
    "jobs_bom_and_crlf": ("jobs.csv", lambda: b"\xef\xbb\xbf" + (JOBS_HEADER + "j1,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,100,0,10,succeeded\n").replace("\n", "\r\n").encode()),
    "jobs_ragged_rows": ("jobs.csv", lambda: (JOBS_HEADER + "r1,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,100,0,10,succeeded,extra\n"
                                              "r2,2026-10-02T10:00:00Z\nr3,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,100,0,10,succeeded\n").encode()),
    "jobs_stray_quote": ("jobs.csv", lambda: (JOBS_HEADER + 'q1,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,"100,0,10,succeeded\n'
                                              "q2,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,100,0,10,succeeded\n").encode()),
    "jobs_nul_in_id": ("jobs.csv", lambda: (JOBS_HEADER + "nul\x00id,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,100,0,10,succeeded\n").encode()),
    "jobs_thousands_separator": ("jobs.csv", lambda: (JOBS_HEADER + 'k1,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,"1,000",0,10,succeeded\n').encode()),
    "jobs_bad_dates": ("jobs.csv", lambda: (JOBS_HEADER + "d1,2026-13-01T10:00:00Z,a,gpt-4o-mini,openai,100,0,10,succeeded\n"
                                            "d2,9999-12-31T23:59:59Z,a,gpt-4o-mini,openai,100,0,10,succeeded\n"
                                            "d3,epoch,a,gpt-4o-mini,openai,100,0,10,succeeded\n").encode()),
    "jobs_negative_zero_and_cached_over_input": ("jobs.csv", lambda: (JOBS_HEADER + "z1,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,-0,0,10,succeeded\n"
                                                                     "z2,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,10,50,10,succeeded\n").encode()),
    "jobs_duplicate_header_column": ("jobs.csv", lambda: (JOBS_HEADER.rstrip("\n") + ",job_id\n"
                                                          "h1,2026-10-02T10:00:00Z,a,gpt-4o-mini,openai,100,0,10,succeeded,h9\n").encode()),
    "otel_truncated_document": ("traces.json", lambda: b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "ab"'),
    "otel_wrong_types": ("traces.json", lambda: json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": 5, "spanId": ["x"], "startTimeUnixNano": "not-a-number", "attributes": {"a": 1}}]}]}]}).encode()),
}


def non_blank_lines(data: bytes) -> int:
    return sum(1 for line in data.split(b"\n") if line.strip(b" \t\r\x0b\x0c"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile_corpus")
    wh = new_warehouse(root / "wh")
    results = {}
    for name, (file_name, make) in CASES.items():
        path = root / "files" / name / file_name
        path.parent.mkdir(parents=True)
        data = make()
        path.write_bytes(data)
        result = wh.ingest(path, check=False)
        results[name] = (path, data, result)
    # one ordinary file as well, so the build has a month with real traffic
    normal = root / "files" / "normal" / "gw.jsonl"
    normal.parent.mkdir(parents=True)
    normal.write_bytes(lines(*(gw(f"ok-{i}") for i in range(5))))
    wh.ingest(normal)
    build = wh.dbt("build", "--exclude-resource-type", "unit_test", check=False)
    return {"wh": wh, "results": results, "build": build}


@pytest.mark.parametrize("name", list(CASES))
def test_each_hostile_file_lands_whole_or_is_refused_in_one_line(corpus: dict[str, Any], name: str) -> None:
    wh: Warehouse = corpus["wh"]
    path, data, result = corpus["results"][name]
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-2000:]
    assert result.returncode in (0, 1), (result.returncode, output[-500:])
    if result.returncode == 1:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    landed = wh.scalar("select count(*) from raw.gateway_requests where file_path = ?", [str(path)])
    if result.returncode == 1:
        refused_rows = landed + wh.scalar("select count(*) from raw.jobs_export where file_path = ?", [str(path)])
        assert refused_rows == 0
    elif path.name.endswith(".jsonl"):
        assert landed == non_blank_lines(data), (landed, non_blank_lines(data))


def test_the_build_after_every_hostile_file_is_green(corpus: dict[str, Any]) -> None:
    build = corpus["build"]
    assert build.returncode == 0, build.stdout[-4000:]
    assert "ERROR=0" in build.stdout and "FAIL=" not in build.stdout.split("Done.")[-1].replace("FAIL=0", "")


def test_no_hostile_timestamp_reaches_the_marts(corpus: dict[str, Any]) -> None:
    wh: Warehouse = corpus["wh"]
    # every plausible timestamp in the corpus is in October 2026 (an offset or a bare date included)
    months = {row[0].isoformat() for row in wh.query("select distinct month from marts.fct_usage_events")}
    assert months == {"2026-10-01"}, months
    assert wh.scalar("select max(month) from marts.fct_team_monthly_spend").isoformat() == "2026-10-01"


def test_the_build_is_recorded_and_outputs_refuse_the_marts_a_failed_build_left(
    corpus: dict[str, Any], tmp_path: Path,
) -> None:
    """raw.build_runs has the green build; after a failed run, export, report, alerts and summary each refuse
    with one line and their documented exit status instead of presenting stale marts."""
    import shutil
    import subprocess
    import sys

    wh: Warehouse = corpus["wh"]
    command, nodes, errors, failures, skipped = wh.query(
        "select command, nodes, errors, failures, skipped from raw.build_runs order by finished_at desc limit 1")[0]
    assert (command, errors, failures, skipped) == ("build", 0, 0, 0) and nodes > 100
    broken = new_warehouse(tmp_path / "broken")
    shutil.copy2(wh.db, broken.db)
    with __import__("duckdb").connect(str(broken.db)) as con:
        con.execute("drop table seeds.teams")
    assert broken.dbt("run", "--select", "stg_org__teams", check=False).returncode != 0
    for script, args, status in (("export", ["--month", "2026-10", "--out", str(tmp_path / "out")], 1),
                                 ("report", ["--month", "2026-10", "--out", str(tmp_path / "out")], 1),
                                 ("alerts", [], 3), ("summary", [], 1)):
        result = subprocess.run([sys.executable, "-m", "tokenledger", script, "--db", str(broken.db), *args],
                                capture_output=True, text=True, env={**broken.env()})
        assert result.returncode == status, (script, result.returncode, result.stderr[-500:])
        assert "Traceback" not in result.stderr
        stale = [line for line in result.stderr.splitlines() if "the last dbt run" in line]
        assert len(stale) == 1 and "1 error(s)" in stale[0], (script, result.stderr)
    assert not (tmp_path / "out" / "chargeback-2026-10.csv").exists()
