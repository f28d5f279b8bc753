"""Hostile inputs: every one ends in a load that accounts for every record, or one clear line and a known exit.

Each case asserts the exit status, a one-line message naming the problem (never a traceback) and the rows
that landed (or, for tokenledger dbt, that the writer lock outlives dbt). Limits are lowered through
their environment variables so that the files stay small; one case uses the real default with a 33 MB line.
Also: the readers' error discipline (alerts.py, summary.py), the FOCUS CSV's formula neutralising, and
staging's invalid_id, negative zero and implausible_timestamp rules.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from harness import new_warehouse

from tokenledger import export, ingest
from tokenledger.common import FORMULA_TRIGGERS, neutralise

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEADER = "job_id,created_at,agent,model,provider,input_tokens,cached_input_tokens,output_tokens,status"


def gw(request_id: str, **extra: object) -> str:
    usage = {"prompt_tokens": 1, "completion_tokens": 2}
    return json.dumps({"request_id": request_id, "response": {"usage": usage}, **extra})


def job(job_id: str, agent: str = "a") -> str:
    return f"{job_id},2026-10-01T10:00:00Z,{agent},gpt-5.4-mini,openai,100,0,10,succeeded"


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "wh" / "test.duckdb"
    monkeypatch.setenv("TOKENLEDGER_DB", str(path))
    monkeypatch.setenv("TOKENLEDGER_LOCK_WAIT", "60")
    return path


@pytest.fixture
def run(db: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    def _run(*paths: Path | str, target: Path | None = None) -> Run:
        capsys.readouterr()
        try:
            code = ingest.main(["--db", str(target or db), *map(str, paths)])
        except SystemExit as exc:
            code = int(exc.code) if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return _run


def q(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def landed(db: Path) -> int:
    return sum(q(db, f"select count(*) from {t}")[0][0] for t in ingest.DATA_TABLES)


def refused_once(result: Run, path: Path | str, problem: str) -> None:
    """Exit 1, and the refusal is one line on stderr (and on stdout) naming the file and the problem."""
    assert result.code == 1, result
    assert "Traceback" not in result.out + result.err
    assert result.err.splitlines() == [line for line in result.out.splitlines() if line.startswith("refused")]
    (line,) = result.err.splitlines()
    assert line.startswith(f"refused {path}: ") and problem in line, line


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ---------------------------------------------------------------------------------------------
# 1. Lossless or refused


def test_an_oversized_jsonl_line_refuses_the_file(tmp_path: Path, db: Path, run: Callable[..., Run],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("TOKENLEDGER_MAX_LINE_BYTES", "1000")
    long = gw("b", pad="x" * 2000)
    path = write(tmp_path / "three.jsonl", "\n".join([gw("a"), long, gw("c")]) + "\n")
    result = run(path)
    refused_once(result, path, f"oversized record: line 2 is {len(long)} bytes, over the 1000-byte limit")
    assert landed(db) == 0
    assert q(db, "select status, rows from raw.load_manifest") == [("refused", 0)]
    # a line at the limit is fine, and every line lands with its physical number
    monkeypatch.setenv("TOKENLEDGER_MAX_LINE_BYTES", str(len(long)))
    assert run(path).code == 0
    assert q(db, "select line_number from raw.gateway_requests order by 1") == [(1,), (2,), (3,)]


def test_an_oversized_line_inside_a_block_is_found(tmp_path: Path, db: Path, run: Callable[..., Run],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("TOKENLEDGER_MAX_LINE_BYTES", "100")
    lines = [gw(f"r{i}") for i in range(50)]
    lines[30] = gw("r30", pad="y" * 200)
    path = write(tmp_path / "mid.jsonl", "\n".join(lines))  # no final newline either
    refused_once(run(path), path, "oversized record: line 31 is ")
    assert landed(db) == 0


def test_a_csv_record_with_an_oversized_field_refuses_the_file(tmp_path: Path, db: Path, run: Callable[..., Run],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("TOKENLEDGER_MAX_LINE_BYTES", "1000")
    path = write(tmp_path / "jobs.csv", "\n".join([HEADER, job("j1"), job("j2", agent="z" * 5000), job("j3")]) + "\n")
    refused_once(run(path), path, "oversized record: line 3 is ")
    assert landed(db) == 0


def test_a_gzip_bomb_line_is_refused_without_reading_it_all(tmp_path: Path, db: Path, run: Callable[..., Run],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("TOKENLEDGER_MAX_LINE_BYTES", str(1 << 20))
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as out:  # 1 line, then 256 MiB without a newline
        out.write((gw("a") + "\n").encode())
        zeros = b"x" * (1 << 24)
        for _ in range(16):
            out.write(zeros)
    started = time.monotonic()
    result = run(path)
    refused_once(result, path, "oversized record: line 2 is over the 1048576-byte limit")
    assert time.monotonic() - started < 10
    assert landed(db) == 0


def test_gzip_content_over_the_decompression_limit_is_refused(tmp_path: Path, db: Path, run: Callable[..., Run],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("TOKENLEDGER_MAX_DECOMPRESSED_BYTES", str(1 << 20))
    path = write(tmp_path / "many.jsonl.gz", gzip.compress(("\n".join(gw(f"r{i}") for i in range(40_000)) + "\n").encode()))
    refused_once(run(path), path, "gzip content too large: over 1048576 bytes decompressed")
    assert landed(db) == 0


def test_the_real_default_refuses_a_33_mb_line(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    long = gw("b", pad="x" * (33 << 20))
    path = write(tmp_path / "big.jsonl", "\n".join([gw("a"), long, gw("c")]) + "\n")
    try:
        result = run(path)
    finally:
        path.unlink()
    refused_once(result, path, f"oversized record: line 2 is {len(long)} bytes, over the {16 << 20}-byte limit")
    assert landed(db) == 0


@pytest.mark.parametrize("kind", ["fifo", "dev_zero_link", "directory_fifo"])
def test_non_regular_files_are_refused_at_once(tmp_path: Path, db: Path, kind: str) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    write(exports / "a.jsonl", gw("a") + "\n")
    if kind == "dev_zero_link":
        special = exports / "zero.jsonl"
        special.symlink_to("/dev/zero")
        expected = "not a regular file (a character device)"
    else:
        special = exports / "pipe.jsonl"
        os.mkfifo(special)
        expected = "not a regular file (a FIFO)"
    target = exports if kind == "directory_fifo" or kind == "dev_zero_link" else special
    env = {**os.environ, "TOKENLEDGER_DB": str(db), "TOKENLEDGER_LOCK_WAIT": "60"}
    result = subprocess.run([sys.executable, "-m", "tokenledger", "ingest", "--db", str(db), str(target)],
                            env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"refused {special}: {expected}"]
    assert landed(db) == (1 if target == exports else 0)


def test_a_million_column_header_is_refused_quickly(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "wide.csv", "job_id," + ",".join(f"c{i}" for i in range(1_000_000)) + "\nj1\n")
    started = time.monotonic()
    refused_once(run(path), path, "too many CSV columns: the header has 1000001 fields, over the limit of 10000")
    assert time.monotonic() - started < 10
    assert landed(db) == 0


def test_format_detection_of_whitespace_is_linear(tmp_path: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "blank.jsonl", b" " * (17 << 20))
    started = time.monotonic()
    refused_once(run(path), path, "nothing but whitespace in the first 16777216 bytes")
    assert time.monotonic() - started < 5
    path.unlink()


def test_a_bad_limit_setting_is_one_line(tmp_path: Path, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENLEDGER_MAX_LINE_BYTES", "lots")
    result = run(write(tmp_path / "a.jsonl", gw("a") + "\n"))
    assert result.code == 1 and result.out == ""


# ---------------------------------------------------------------------------------------------
# 2. Messages


def test_an_empty_directory_is_reported_and_exits_1(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    write(empty / "README.md", "# no exports\n")
    result = run(empty)
    refused_once(result, empty, "no files to ingest in this directory")


def test_an_unwritable_warehouse_directory_exits_2(tmp_path: Path, run: Callable[..., Run]) -> None:
    blocker = write(tmp_path / "not_a_dir", "")
    result = run(write(tmp_path / "a.jsonl", gw("a") + "\n"), target=blocker / "wh" / "test.duckdb")
    assert result.code == 2 and "Traceback" not in result.err
    (line,) = result.err.splitlines()
    assert line.startswith(f"ingest: cannot open the warehouse {blocker / 'wh' / 'test.duckdb'}: ")


def test_deeply_nested_json_has_a_clear_reason(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "deep.jsonl", '{"a":' * 50_000 + "1" + "}" * 50_000 + "\n")
    result = run(path)
    refused_once(result, path, "JSON nested too deeply to recognise")
    assert "recursion" not in result.err


@pytest.mark.parametrize(("encoding", "name"), [("utf-16", "UTF-16LE"), ("utf-16-be", None), ("utf-32", "UTF-32LE")])
def test_utf16_and_utf32_are_refused_naming_the_encoding(tmp_path: Path, db: Path, run: Callable[..., Run],
                                                          encoding: str, name: str | None) -> None:  # fmt: skip
    path = write(tmp_path / "jobs.csv", (HEADER + "\n" + job("j1") + "\n").encode(encoding))
    refused_once(run(path), path, f"unsupported text encoding: {name}" if name else "unsupported text encoding: NUL bytes")
    assert landed(db) == 0


def test_gzip_with_trailing_garbage_is_one_clear_line(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "g.jsonl.gz", gzip.compress((gw("a") + "\n").encode()) + b"garbage\n")
    refused_once(run(path), path, "unreadable gzip: trailing garbage after the compressed data")
    assert landed(db) == 0


# ---------------------------------------------------------------------------------------------
# 3. Signals: run_dbt.py forwards them and releases the writer lock only after dbt has exited


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signalled_build_releases_the_warehouse_only_after_dbt_exits(tmp_path: Path, signum: int) -> None:
    wh = new_warehouse(tmp_path / "wh")
    wh.ingest(write(tmp_path / "in" / "a.jsonl", gw("a") + "\n"))
    out = tmp_path / "run_dbt.out"
    with out.open("w") as sink:
        build = subprocess.Popen(
            [sys.executable, "-m", "tokenledger", "dbt", "build", "--target-path", str(tmp_path / "target"),
             "--log-path", str(tmp_path / "logs")],
            cwd=PROJECT_ROOT, env=wh.env(), stdout=sink, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    deadline = time.monotonic() + 180
    while " START " not in out.read_text() and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)  # until dbt has the warehouse open and runs nodes
    assert build.poll() is None, out.read_text()[-2000:]
    build.send_signal(signum)  # to run_dbt.py only, as a scheduler stopping it would
    ingest_run = wh.ingest(write(tmp_path / "in" / "b.jsonl", gw("b") + "\n"), check=False)
    code = build.wait(timeout=120)
    assert ingest_run.returncode == 0, ingest_run.stdout + ingest_run.stderr
    assert "Could not set lock" not in ingest_run.stderr
    assert code == 128 + signum, out.read_text()[-2000:]
    assert wh.scalar("select count(*) from raw.gateway_requests") == 2


# ---------------------------------------------------------------------------------------------
# 4. FOCUS CSV: every text column goes through the one neutraliser (common.neutralise)

HOSTILE_TEXT = ['=HYPERLINK("http://x","y")', "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"]


def test_focus_csv_neutralises_every_text_column(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute("create schema marts")
    con.execute(
        """create table marts.focus_cost_and_usage as
           select -1.25::decimal(18, 6) as "BilledCost", timestamp '2026-10-01' as "BillingPeriodStart",
                  7 as x_rows, h as "SubAccountName", h as "SubAccountId", h as x_team_id, h as "ChargeDescription",
                  '{"team": "' || h || '"}' as "Tags", 'k' || i as x_charge_key
           from (select unnest(?) as h, generate_subscripts(?, 1) as i)""",
        [HOSTILE_TEXT, HOSTILE_TEXT],
    )
    con.close()
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)  # as export.py reads the warehouse
    csv_path, parquet_path = export.write_focus(con, date(2026, 10, 1), tmp_path)
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(HOSTILE_TEXT)
    text_columns = ["SubAccountName", "SubAccountId", "x_team_id", "ChargeDescription", "Tags", "x_charge_key"]
    for row, hostile in zip(rows, HOSTILE_TEXT, strict=True):
        for column in ("SubAccountName", "SubAccountId", "x_team_id", "ChargeDescription"):
            assert row[column] == "'" + hostile == neutralise(hostile)
        for column in text_columns:
            assert not row[column].startswith(FORMULA_TRIGGERS), (column, row[column])
        assert row["BilledCost"] == "-1.250000" and row["x_rows"] == "7"  # numbers stay numbers
    parquet = con.execute(f"select x_team_id from '{parquet_path}' order by x_charge_key").fetchall()
    assert [r[0] for r in parquet] == HOSTILE_TEXT  # Parquet is data: kept as in the mart


# ---------------------------------------------------------------------------------------------
# 5. Readers: alerts.py (and summary.py) wait for the writer, and fail with one line and their own exit code


def script(name: str, *args: str, db: Path, wait: str = "60") -> subprocess.Popen[str]:
    env = {**os.environ, "TOKENLEDGER_DB": str(db), "TOKENLEDGER_LOCK_WAIT": wait}
    return subprocess.Popen([sys.executable, "-m", "tokenledger", name, "--db", str(db), *args], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def empty_marts(db: Path) -> Path:
    """A warehouse whose alert sources exist and are empty: alerts.py reports nothing (exit 0)."""
    from tokenledger import alerts

    db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts; create schema audit; create table marts.fct_team_monthly_spend (month date)")
        con.execute(f"create table marts.fct_budget_status ({', '.join(c + ' varchar' for c in alerts.COLUMNS)})")
        con.execute(f"create table audit.spend_anomalies ({', '.join(c + ' varchar' for c in alerts.ANOMALY_COLUMNS)})")
    return db


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_alerts_on_a_missing_or_unbuilt_warehouse_exit_3_with_one_line(tmp_path: Path, fmt: str) -> None:
    unbuilt = tmp_path / "unbuilt.duckdb"
    duckdb.connect(str(unbuilt)).close()
    for db, problem in ((tmp_path / "missing.duckdb", "no warehouse at"), (unbuilt, "cannot read the alerts from")):
        out, err = script("alerts", "--format", fmt, db=db).communicate(timeout=60)
        assert "Traceback" not in out + err
        lines = (out if fmt == "json" else err).splitlines()
        assert len(lines) == 1 and problem in lines[0], (out, err)
        if fmt == "json":
            assert json.loads(lines[0])["kind"] == "error" and out.strip() == lines[0] and err == ""
        else:
            assert out == ""


def test_alerts_wait_for_the_writer_then_read(tmp_path: Path) -> None:
    from tokenledger.common import warehouse_lock

    db = empty_marts(tmp_path / "wh.duckdb")
    with warehouse_lock(db):  # a build in progress
        busy = script("alerts", db=db, wait="1")
        out, err = busy.communicate(timeout=60)
        assert busy.returncode == 3 and "Traceback" not in err
        assert err.splitlines()[-1].startswith("alerts: tokenledger: the warehouse") and "gave up after 1s" in err
        waiting = script("alerts", db=db, wait="60")
        time.sleep(1.5)
        assert waiting.poll() is None  # waits for the writer
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert out.strip() == "tokenledger: no data yet"


def test_summary_on_a_missing_or_unbuilt_warehouse_is_one_line(tmp_path: Path) -> None:
    unbuilt = tmp_path / "unbuilt.duckdb"
    duckdb.connect(str(unbuilt)).close()
    for db in (tmp_path / "missing.duckdb", unbuilt):
        env = {**os.environ, "TOKENLEDGER_DB": str(db), "TOKENLEDGER_LOCK_WAIT": "60"}
        result = subprocess.run([sys.executable, "-m", "tokenledger", "summary", "--db", str(db)], env=env,
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("summary: ")


# ---------------------------------------------------------------------------------------------
# 2. Odd ids and negative zero, through staging


@pytest.mark.slow
def test_nul_ids_negative_zero_and_implausible_timestamps_in_staging(tmp_path: Path) -> None:
    """A NUL in an id rejects the row (invalid_id); -0 is 0 on both sources; a timestamp before 2000 or more
    than a day after the load is rejected (implausible_timestamp), so no month 9999-12 reaches the marts."""
    wh = new_warehouse(tmp_path / "wh")
    rows = [HEADER, job("plain"), job("nul\x00plain"), job("negzero").replace(",10,", ",-0,"),
            job("neg").replace(",10,", ",-5,"),
            job("future").replace("2026-10-01T10:00:00Z", "9999-12-31T00:00:00Z"),
            job("ancient").replace("2026-10-01T10:00:00Z", "1999-12-31T23:59:59Z")]  # fmt: skip

    def line(request_id: str, completion: str, timestamp: str = "2026-10-01T10:00:00Z") -> str:
        return ('{"request_id": ' + json.dumps(request_id) + ', "timestamp": "' + timestamp + '", "response": '
                '{"model": "gpt-5.4-mini", "usage": {"prompt_tokens": 5, "completion_tokens": ' + completion + "}}}")

    lines = [line("g_plain", "1"), line("g_plain\x00", "1"), line("g_negzero", "-0"), line("g_neg", "-2"),
             line("g_future", "1", "9999-12-31T00:00:00Z")]  # fmt: skip
    wh.ingest(write(tmp_path / "in" / "jobs.csv", "\n".join(rows) + "\n"),
              write(tmp_path / "in" / "gw.jsonl", "\n".join(lines) + "\n"))  # fmt: skip
    assert wh.scalar("select count(*) from raw.jobs_export") == 6
    assert wh.scalar("select count(*) from raw.gateway_requests") == 5
    wh.dbt("build", "--select", "+fct_usage_events", "+audit_rejected_rows", "--indirect-selection", "cautious",
           "--exclude-resource-type", "unit_test")  # fmt: skip
    rejected = wh.query("select source, reject_reason, count(*) from audit.rejected_rows group by 1, 2 order by 1, 2")
    assert rejected == [
        ("gateway", "implausible_timestamp", 1), ("gateway", "invalid_id", 1), ("gateway", "negative_tokens", 1),
        ("jobs", "implausible_timestamp", 2), ("jobs", "invalid_id", 1), ("jobs", "negative_tokens", 1),
    ], rejected  # fmt: skip
    events = dict(wh.query("select event_id, output_tokens from marts.fct_usage_events"))
    assert events == {"plain": 10, "negzero": 0, "g_plain": 1, "g_negzero": 0}, events
    assert wh.query("select distinct month from marts.fct_usage_events") == [(date(2026, 10, 1),)]
