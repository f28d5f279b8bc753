"""tokenledger ingest: formats, lineage, idempotency, atomicity, refusals and tolerance, exactly.

Every fixture is written to tmp_path by the test itself; every warehouse is a throwaway file passed
with --db (and TOKENLEDGER_DB points at it too), never the default warehouse. Most tests run the
CLI in-process (ingest.main); the exit-status, kill and concurrency tests run it as a subprocess.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tokenledger import ingest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

HEADER = ("job_id,created_at,agent,model,provider,input_tokens,cached_input_tokens,output_tokens,"
          "status,api_key_id,user_email,workflow,labels,attempt,retry_of")  # fmt: skip
JOB_FIELDS = HEADER.split(",")


def job(job_id: str, **values: str) -> str:
    """One CSV line in HEADER order; fields default to simple valid values."""
    row = {
        "job_id": job_id, "created_at": "2026-10-01T10:00:00Z", "agent": "a", "model": "gpt-5.4-mini",
        "provider": "openai", "input_tokens": "100", "cached_input_tokens": "0", "output_tokens": "10",
        "status": "succeeded", "attempt": "1",
    } | values  # fmt: skip
    return ",".join(row.get(name, "") for name in JOB_FIELDS)


def gw(request_id: str) -> str:
    return json.dumps({"request_id": request_id, "response": {"usage": {"prompt_tokens": 1, "completion_tokens": 2}}})


# ---------------------------------------------------------------------------------------------
# Harness


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "wh" / "test.duckdb"
    monkeypatch.setenv("TOKENLEDGER_DB", str(path))
    monkeypatch.setenv("TOKENLEDGER_LOCK_WAIT", "120")
    return path


@pytest.fixture
def run(db: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """run(path, ...) runs the CLI in-process against the test warehouse."""

    def _run(*paths: Path | str) -> Run:
        return ingest_in_process(capsys, "--db", db, *paths)

    return _run


def ingest_in_process(capsys: pytest.CaptureFixture[str], *args: Path | str) -> Run:
    """`tokenledger ingest ARGS` run in-process: its exit status and what it printed."""
    capsys.readouterr()
    try:
        code = ingest.main([*map(str, args)])
    except SystemExit as exc:
        code = int(exc.code) if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def q(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def one(db: Path, sql: str, params: list[Any] | None = None) -> Any:
    rows = q(db, sql, params)
    assert len(rows) == 1, rows
    return rows[0][0] if len(rows[0]) == 1 else rows[0]


def cli(db: Path, *paths: Path | str, **popen: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "TOKENLEDGER_DB": str(db), "TOKENLEDGER_LOCK_WAIT": "120"}
    return subprocess.Popen(
        [sys.executable, "-m", "tokenledger", "ingest", "--db", str(db), *map(str, paths)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )  # fmt: skip


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def gateway_lines(db: Path, path: Path) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in q(db, "select line_number, raw_line from raw.gateway_requests "
                                        "where file_path = ? order by line_number", [str(path.absolute())])]  # fmt: skip


def jobs_rows(db: Path, path: Path, columns: str = "row_number, job_id") -> list[tuple[Any, ...]]:
    return q(db, f"select {columns} from raw.jobs_export where file_path = ? order by row_number", [str(path.absolute())])


# ---------------------------------------------------------------------------------------------
# Contract: tables


def test_raw_tables_have_the_contract_columns_in_order(db: Path) -> None:
    con = ingest.connect(db)
    ingest.ensure_raw_tables(con)
    ingest.ensure_raw_tables(con)  # idempotent
    con.close()
    columns = {
        table: [r[0] for r in q(db, "select column_name from information_schema.columns where table_schema = 'raw' "
                                    "and table_name = ? order by ordinal_position", [table])]
        for table in ("load_manifest", "gateway_requests", "jobs_export")
    }
    assert columns == {
        "load_manifest": ["load_id", "file_path", "file_name", "file_sha256", "file_bytes", "format", "rows",
                          "status", "message", "started_at", "loaded_at"],
        "gateway_requests": ["load_id", "file_path", "file_sha256", "line_number", "raw_line", "loaded_at"],
        "jobs_export": ["load_id", "file_path", "file_sha256", "row_number", "line_number", *JOB_FIELDS,
                        "extra_columns", "raw_record", "parse_error", "loaded_at"],
    }  # fmt: skip


def test_raw_lines_are_zstd_even_if_dbt_created_the_table_first(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    db.parent.mkdir(parents=True)
    con = duckdb.connect(str(db))
    con.execute("create schema raw")
    con.execute("create table raw.gateway_requests (load_id bigint, file_path varchar, file_sha256 varchar, "
                "line_number bigint, raw_line varchar, loaded_at timestamp)")  # as the dbt hook creates it
    con.close()
    lines = [json.dumps({"i": i, "pad": "p" * (i % 97)}) for i in range(150_000)]
    bad = write(tmp_path / "a_bad.csv", "job_id,model\nx,y\n")  # refused after the setting is reset
    path = write(tmp_path / "b_gateway.jsonl", "\n".join(lines) + "\n")
    jobs = write(tmp_path / "c_jobs.csv", HEADER + "\n" + job("j1") + "\n")
    assert run(bad, path, jobs).code == 1
    assert q(db, "select distinct compression from pragma_storage_info('raw.gateway_requests') "
                 "where column_name = 'raw_line' and segment_type = 'VARCHAR'") == [("ZSTD",)]  # fmt: skip
    assert "ZSTD" not in {r[0] for r in q(db, "select compression from pragma_storage_info('raw.jobs_export')")}
    assert one(db, "select count(*) from raw.gateway_requests") == len(lines)


# ---------------------------------------------------------------------------------------------
# Both formats, lineage, verbatim text


def test_gateway_jsonl_lands_every_line_verbatim_with_lineage(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    lines = [gw("r1"), '  {"spaced": "leading and trailing blanks kept"}  ', gw("r3"), "", "   \t", gw("r6"),
             '{"unicode": "übersicht ✓", "esc": "a\\"b\\\\c\\u0001"}']  # fmt: skip
    path = write(tmp_path / "in" / "gateway.jsonl", "\n".join(lines) + "\n")
    result = run(path)
    assert result.code == 0, result
    assert result.out.splitlines() == [
        f"loaded {path}: 5 rows as load 1 (5 lines landed, 2 blank lines skipped)"
    ]
    assert gateway_lines(db, path) == [(1, lines[0]), (2, lines[1]), (3, lines[2]), (6, lines[5]), (7, lines[6])]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = one(db, "select load_id, file_path, file_name, file_sha256, file_bytes, format, rows, status, message, "
                       "started_at <= loaded_at from raw.load_manifest")  # fmt: skip
    assert manifest == (1, str(path), "gateway.jsonl", sha, path.stat().st_size, "gateway_jsonl", 5, "loaded",
                        "5 lines landed, 2 blank lines skipped", True)  # fmt: skip
    lineage = q(db, "select distinct g.load_id, g.file_path, g.file_sha256, g.loaded_at = m.loaded_at "
                    "from raw.gateway_requests g join raw.load_manifest m using (load_id)")  # fmt: skip
    assert lineage == [(1, str(path), sha, True)]


def test_jobs_csv_lands_one_row_per_record(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    # Columns in another order, optional columns absent, header names in mixed case with blanks.
    body = " Model ,JOB_ID,created_at,Output_Tokens,input_tokens\ngpt-5.4,j1,2026-10-01,10,100\n,j2,2026-10-02,,\n"
    path = write(tmp_path / "jobs.csv", body)
    result = run(path)
    assert result.code == 0, result
    assert result.out.splitlines() == [
        f"loaded {path}: 2 rows as load 1 (2 records landed, 0 rejected by the CSV parser (kept in raw_record))"
    ]
    rows = jobs_rows(db, path, "load_id, file_sha256, row_number, line_number, job_id, created_at, model, input_tokens, "
                               "output_tokens, agent, labels, retry_of, extra_columns, raw_record, parse_error")  # fmt: skip
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert rows == [
        (1, sha, 1, None, "j1", "2026-10-01", "gpt-5.4", "100", "10", None, None, None, None, None, None),
        (1, sha, 2, None, "j2", "2026-10-02", None, None, None, None, None, None, None, None, None),
    ]
    assert one(db, "select format, rows, status from raw.load_manifest") == ("jobs_csv", 2, "loaded")


def test_gzip_is_recognised_by_magic_bytes_not_the_name(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    jsonl = "\n".join([gw("g1"), "[1, 2]", gw("g3")]) + "\n"
    csv_text = "\n".join([HEADER, job("j1"), job("j2", workflow='"a, b"')]) + "\n"
    gz_jsonl = write(tmp_path / "gateway.jsonl.gz", gzip.compress(jsonl.encode()))
    gz_unnamed = write(tmp_path / "export.dat", gzip.compress(csv_text.encode()))  # gzip without a .gz name
    plain_named_gz = write(tmp_path / "plain.jsonl.gz", gw("p1") + "\n")  # a .gz name on a plain file
    result = run(gz_jsonl, gz_unnamed, plain_named_gz)
    assert result.code == 0, result
    assert gateway_lines(db, gz_jsonl) == [(1, gw("g1")), (2, "[1, 2]"), (3, gw("g3"))]
    assert jobs_rows(db, gz_unnamed, "row_number, job_id, workflow") == [(1, "j1", None), (2, "j2", "a, b")]
    assert gateway_lines(db, plain_named_gz) == [(1, gw("p1"))]
    # The hash is of the bytes as stored: the compressed bytes.
    assert one(db, "select file_sha256 from raw.load_manifest where file_name = 'gateway.jsonl.gz'") == hashlib.sha256(
        gz_jsonl.read_bytes()
    ).hexdigest()


def test_format_comes_from_the_content_when_the_name_lies(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    jsonl_named_csv = write(tmp_path / "looks_like.csv", gw("x1") + "\n" + gw("x2") + "\n")
    csv_named_jsonl = write(tmp_path / "looks_like.jsonl", HEADER + "\n" + job("j1") + "\n")
    result = run(jsonl_named_csv, csv_named_jsonl)
    assert result.code == 0, result
    assert q(db, "select file_name, format, rows from raw.load_manifest order by load_id") == [
        ("looks_like.csv", "gateway_jsonl", 2),
        ("looks_like.jsonl", "jobs_csv", 1),
    ]


def test_directories_are_recursed_in_sorted_order_skipping_hidden_files(tmp_path: Path, run: Callable[..., Run]) -> None:
    root = tmp_path / "drop"
    write(root / "b" / "2.jsonl", gw("b2") + "\n")
    write(root / "a.jsonl", gw("a") + "\n")
    write(root / "b" / "1.jsonl", gw("b1") + "\n")
    write(root / ".hidden.jsonl", gw("h") + "\n")
    write(root / ".git" / "x.jsonl", gw("g") + "\n")
    write(root / "README.md", "# about these files\n")
    write(root / "b" / "README", "notes\n")
    write(root / "b" / "notes.rst", "notes\n")
    result = run(root)
    assert result.code == 0, result
    assert [line.split(":")[0] for line in result.out.splitlines()] == [
        f"loaded {root / 'a.jsonl'}", f"loaded {root / 'b' / '1.jsonl'}", f"loaded {root / 'b' / '2.jsonl'}"
    ]


def test_file_names_with_quotes_and_glob_characters(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    """DuckDB's readers expand globs: 'a[1].jsonl' would read a1.jsonl, 'b*.jsonl' every b….jsonl."""
    write(tmp_path / "a1.jsonl", gw("decoy a1") + "\n")
    write(tmp_path / "bx.jsonl", gw("decoy bx") + "\n")
    bracket = write(tmp_path / "a[1].jsonl", gw("bracket") + "\n")
    star = write(tmp_path / "it's b*.jsonl", gw("star") + "\n")
    write(tmp_path / "it's bx.jsonl", gw("decoy star") + "\n")
    odd_csv = write(tmp_path / "jobs[?].csv", HEADER + "\n" + job("j1") + "\n")
    write(tmp_path / "jobsx.csv", HEADER + "\n" + job("decoy") + "\n")
    assert run(bracket, star, odd_csv).code == 0
    assert gateway_lines(db, bracket) == [(1, gw("bracket"))]
    assert gateway_lines(db, star) == [(1, gw("star"))]
    assert jobs_rows(db, odd_csv) == [(1, "j1")]
    assert one(db, "select count(*) from raw.gateway_requests") == 2


# ---------------------------------------------------------------------------------------------
# Idempotency


def test_a_file_already_loaded_is_skipped_even_under_another_name(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "g.jsonl", gw("a") + "\n" + gw("b") + "\n")
    assert run(path).code == 0
    second = run(path)
    assert second.code == 0
    assert second.out.splitlines() == [f"skipped {path}: already loaded as load 1"]
    renamed = write(tmp_path / "elsewhere" / "copy.jsonl", path.read_bytes())
    third = run(renamed)
    assert third.code == 0
    assert third.out.splitlines() == [f"skipped {renamed}: already loaded as load 1"]
    assert one(db, "select count(*) from raw.gateway_requests") == 2
    assert q(db, "select load_id, file_name, format, rows, status, message from raw.load_manifest order by load_id") == [
        (1, "g.jsonl", "gateway_jsonl", 2, "loaded", "2 lines landed, 0 blank lines skipped"),
        (2, "g.jsonl", "gateway_jsonl", 0, "skipped", "already loaded as load 1"),
        (3, "copy.jsonl", "gateway_jsonl", 0, "skipped", "already loaded as load 1"),
    ]


def test_a_refused_file_is_not_remembered_as_loaded(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "x.csv", "job_id,model\nj1,m\n")
    assert run(path).code == 1
    assert run(path).code == 1  # refused again, not skipped
    assert q(db, "select load_id, status from raw.load_manifest order by 1") == [(1, "refused"), (2, "refused")]


# ---------------------------------------------------------------------------------------------
# Atomicity


def test_a_failure_inside_the_transaction_leaves_no_rows(
    tmp_path: Path, db: Path, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path / "1_first.jsonl", "\n".join(gw(f"f{i}") for i in range(1000)) + "\n")
    second = write(tmp_path / "2_second.csv", HEADER + "\n" + job("j1") + "\n")
    real = ingest.insert_manifest_row

    def failing(con: duckdb.DuckDBPyConnection, **row: Any) -> None:
        if row["status"] == "loaded" and row["path"].name == first.name:
            # The rows are in (same transaction): prove it, then fail.
            (landed,) = con.execute("select count(*) from raw.gateway_requests").fetchone()  # type: ignore[misc]
            assert landed == 1000
            raise RuntimeError("disk on fire")
        real(con, **row)

    monkeypatch.setattr(ingest, "insert_manifest_row", failing)
    result = run(first, second)
    assert result.code == 1
    assert result.err_lines == [f"refused {first}: load failed: disk on fire"]
    assert one(db, "select count(*) from raw.gateway_requests") == 0
    assert q(db, "select load_id, file_name, format, rows, status, message from raw.load_manifest order by 1") == [
        (1, "1_first.jsonl", "gateway_jsonl", 0, "refused", "load failed: disk on fire"),
        (2, "2_second.csv", "jobs_csv", 1, "loaded", "1 records landed, 0 rejected by the CSV parser (kept in raw_record)"),
    ]
    assert jobs_rows(db, second) == [(1, "j1")]


def test_sigkill_mid_ingest_leaves_all_or_nothing(tmp_path: Path, db: Path) -> None:
    small = write(tmp_path / "a_small.jsonl", gw("s") + "\n")
    n = 600_000
    big = write(tmp_path / "b_big.jsonl", b"".join(b'{"i": %d, "pad": "%s"}\n' % (i, b"x" * 150) for i in range(n)))
    proc = cli(db, small, big)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # printed once the small file is committed: the big one is next
    assert first.startswith(f"loaded {small}"), first + proc.stderr.read()
    # Kill as soon as the big insert is writing blocks to the warehouse file (well before its commit).
    committed_size = db.stat().st_size
    deadline = time.monotonic() + 60
    while db.stat().st_size == committed_size and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert f"loaded {big}" not in rest  # it had not finished the big file
    counts = dict(q(db, "select m.file_name, count(*) from raw.gateway_requests g "
                        "join raw.load_manifest m using (load_id) group by 1"))  # fmt: skip
    statuses = dict(q(db, "select file_name, status from raw.load_manifest"))
    assert counts.get("a_small.jsonl") == 1
    assert counts.get("b_big.jsonl", 0) in (0, n)  # all or nothing
    assert (statuses.get("b_big.jsonl") == "loaded") == (counts.get("b_big.jsonl", 0) == n)
    assert one(db, "select count(*) from raw.gateway_requests where file_path = ?", [str(big)]) == counts.get("b_big.jsonl", 0)
    # The lock died with the process; a rerun completes the big file exactly once.
    rerun = cli(db, small, big)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert one(db, "select count(*), count(distinct line_number) from raw.gateway_requests where file_path = ?",
               [str(big)]) == (n, n)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Refusals


@pytest.mark.parametrize(
    ("name", "content", "problem", "file_format"),
    [
        ("missing.csv", "job_id,agent,input_tokens,output_tokens\nj1,a,1,2\n",
         "missing required columns: created_at, model", "jobs_csv"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)),
         "unrecognised format (neither a JSON object line nor a CSV header with job_id)", None),
        ("notes.jsonl", "hello, this is not an export\nsecond line\n",
         "unrecognised format (neither a JSON object line nor a CSV header with job_id)", None),
        ("array_first.jsonl", "[1, 2]\n" + gw("x") + "\n",
         "unrecognised format (neither a JSON object line nor a CSV header with job_id)", None),
        ("empty.jsonl", b"", "empty file (0 bytes)", None),
        ("blank.csv", "\ufeff \r\n\t\n\n", "empty file (only whitespace)", None),
        ("broken.jsonl.gz", b"\x1f\x8b\x08\x00garbage that is not deflate",
         "unreadable gzip: ", None),
    ],
)  # fmt: skip
def test_refusals_are_one_stderr_line_and_exit_1_while_other_files_land(
    tmp_path: Path, db: Path, run: Callable[..., Run], name: str, content: bytes | str, problem: str,
    file_format: str | None,
) -> None:  # fmt: skip
    bad = write(tmp_path / name, content)
    good = write(tmp_path / "zz_good.jsonl", gw("ok") + "\n")
    result = run(bad, good)
    assert result.code == 1
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith(f"refused {bad}: {problem}")
    assert result.out.splitlines()[0] == result.err_lines[0]
    assert result.out.splitlines()[1].startswith(f"loaded {good}: 1 rows")
    manifest = one(db, "select format, rows, status, message from raw.load_manifest where file_name = ?", [name])
    assert manifest[:3] == (file_format, 0, "refused")
    assert manifest[3].startswith(problem)
    assert one(db, "select count(*) from raw.gateway_requests") == 1


def test_csv_with_mixed_row_endings_is_refused_with_a_hint(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "mixed.csv", HEADER + "\r\n" + job("j1", retry_of="x") + "\n" + job("j2", retry_of="y") + "\r\n")
    result = run(path)
    assert result.code == 1
    assert result.err_lines == [
        f"refused {path}: load failed: CSV rows end with mixed CRLF/LF or a stray CR (Invalid Input Error: "
        "The CSV Parser state machine reached an invalid state.)"
    ]
    assert one(db, "select count(*) from raw.jobs_export") == 0


def test_an_unopenable_warehouse_exits_2(tmp_path: Path) -> None:
    not_a_db = write(tmp_path / "wh.duckdb", b"this is not a duckdb file" * 100)
    proc = cli(not_a_db, write(tmp_path / "g.jsonl", gw("a") + "\n"))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.startswith(f"ingest: cannot open the warehouse {not_a_db}: ")


def test_a_truncated_gzip_is_refused_without_partial_rows(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    whole = gzip.compress(b"".join(b'{"i": %d, "noise": "%d"}\n' % (i, i * 7919 % 104729) for i in range(50_000)))
    cut = write(tmp_path / "cut.jsonl.gz", whole[: len(whole) // 2])
    result = run(cut)
    assert result.code == 1
    # the content is read (bounded) before the load, so the message is Python's gzip reader's
    assert result.err_lines == [
        f"refused {cut}: unreadable gzip: Compressed file ended before the end-of-stream marker was reached"
    ]
    assert one(db, "select count(*) from raw.gateway_requests") == 0


def test_usage_errors_exit_2(tmp_path: Path, db: Path) -> None:
    no_args = cli(db)
    assert no_args.wait(timeout=60) == 2
    missing = cli(db, tmp_path / "nope.jsonl")
    _, err = missing.communicate(timeout=60)
    assert missing.returncode == 2
    assert "no such file or directory" in err
    assert not db.exists()


def test_exit_status_through_the_real_cli(tmp_path: Path, db: Path) -> None:
    good = write(tmp_path / "good.jsonl", gw("a") + "\n")
    proc = cli(db, good)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (0, f"loaded {good}: 1 rows as load 1 (1 lines landed, 0 blank lines skipped)\n", "")
    bad = write(tmp_path / "bad.txt", "plain text\n")
    proc = cli(db, bad, good)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.splitlines() == [f"refused {bad}: unrecognised format (neither a JSON object line nor a CSV header with job_id)"]
    assert out.splitlines()[1] == f"skipped {good}: already loaded as load 1"


# ---------------------------------------------------------------------------------------------
# CSV tolerance


def test_header_only_csv_loads_zero_rows(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    with_newline = write(tmp_path / "h1.csv", HEADER + "\r\n")
    without_newline = write(tmp_path / "h2.csv", "\ufeff" + HEADER)
    result = run(with_newline, without_newline)
    assert result.code == 0, result
    assert q(db, "select file_name, format, rows, status from raw.load_manifest order by 1") == [
        ("h1.csv", "jobs_csv", 0, "loaded"),
        ("h2.csv", "jobs_csv", 0, "loaded"),
    ]


def test_bom_crlf_quoted_newline_and_comma(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    lines = [
        HEADER,
        job("j1", workflow='"line one\r\nline two"'),
        job("j2", workflow='"a, b"', labels='"{""team"": ""search""}"'),
        job("j3", workflow='"lf\nonly"', user_email='" padded "'),
        "",
        "",
    ]
    path = write(tmp_path / "bom_crlf.csv", "\ufeff" + "\r\n".join(lines))
    result = run(path)
    assert result.code == 0, result
    assert jobs_rows(db, path, "row_number, job_id, workflow, labels, user_email, retry_of") == [
        (1, "j1", "line one\r\nline two", None, None, None),
        (2, "j2", "a, b", '{"team": "search"}', None, None),
        (3, "j3", "lf\nonly", None, " padded ", None),
    ]


def test_blank_cells_are_null_whether_quoted_or_not(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "blanks.csv", HEADER + "\n" + job("j1", agent='""', provider="", labels=" ") + "\n")
    assert run(path).code == 0
    assert jobs_rows(db, path, "agent, provider, labels, user_email") == [(None, None, " ", None)]


def test_leading_blank_lines_before_the_header(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "lead.csv", "\n  \n" + HEADER + "\n" + job("j1") + "\n" + job("j2") + "\n")
    assert run(path).code == 0
    assert jobs_rows(db, path) == [(1, "j1"), (2, "j2")]


def test_token_values_land_untouched_as_text(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    values = ["12k", "-250", "1e15", "1000000000000000", " 42 ", "0x10", "NaN", "3.5"]
    body = [HEADER] + [job(f"j{i}", input_tokens=v, output_tokens=v, cached_input_tokens=v, attempt=v)
                       for i, v in enumerate(values)]  # fmt: skip
    path = write(tmp_path / "tokens.csv", "\n".join(body) + "\n")
    assert run(path).code == 0
    rows = jobs_rows(db, path, "input_tokens, output_tokens, cached_input_tokens, attempt")
    assert rows == [(v, v, v, v) for v in values]


def test_ragged_rows_land_raw_in_file_order_and_the_rest_still_lands(
    tmp_path: Path, db: Path, run: Callable[..., Run]
) -> None:
    too_many = job("r_many") + ",EXTRA"
    too_few = "r_few,2026-10-01T10:00:00Z,a"
    lines = [
        HEADER,                                       # line 1
        job("j1", workflow='"multi\nline"'),          # lines 2-3
        "",                                           # line 4: blank, not a record
        too_many,                                     # line 5
        job("j2"),                                    # line 6
        too_few,                                      # line 7
        too_few,                                      # line 8: identical, still its own record
        job("j3", workflow='"x""y"'),                 # line 9
    ]  # fmt: skip
    path = write(tmp_path / "ragged.csv", "\n".join(lines) + "\n")
    result = run(path)
    assert result.code == 0, result
    rows = jobs_rows(db, path, "row_number, line_number, job_id, workflow, raw_record, parse_error")
    assert [r[:5] for r in rows] == [
        (1, None, "j1", "multi\nline", None),
        (2, 5, None, None, too_many),
        (3, None, "j2", None, None),
        (4, 7, None, None, too_few),
        (5, 8, None, None, too_few),
        (6, None, "j3", 'x"y', None),
    ]
    assert rows[1][5].startswith("TOO MANY COLUMNS")
    assert rows[3][5].startswith("MISSING COLUMNS")
    assert one(db, "select rows, message from raw.load_manifest") == (
        6, "6 records landed, 3 rejected by the CSV parser (kept in raw_record)"
    )


def test_an_unterminated_quote_swallows_the_rest_into_one_rejected_record(
    tmp_path: Path, db: Path, run: Callable[..., Run]
) -> None:
    broken = job("j2", workflow='"never closed')
    path = write(tmp_path / "q.csv", "\n".join([HEADER, job("j1"), broken, job("j3")]) + "\n")
    assert run(path).code == 0
    rows = jobs_rows(db, path, "row_number, line_number, job_id, raw_record, parse_error")
    assert [r[:4] for r in rows] == [(1, None, "j1", None), (2, 3, None, broken + "\n" + job("j3") + "\n")]
    assert rows[1][4].startswith("UNQUOTED VALUE")


def test_ragged_row_in_a_crlf_file_with_quoted_lf(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    """CRLF rows with a bare LF inside a quoted field (as Excel writes them), then a ragged row."""
    lines = [HEADER, job("j1", workflow='"triage\nescalation"'), job("r1") + ",EXTRA", job("j2"), "", ""]
    path = write(tmp_path / "excel.csv", "\ufeff" + "\r\n".join(lines))
    assert run(path).code == 0
    assert jobs_rows(db, path, "row_number, line_number, job_id, raw_record") == [
        (1, None, "j1", None),
        (2, 4, None, job("r1") + ",EXTRA"),
        (3, None, "j2", None),
    ]


def test_ragged_rows_get_approximate_positions_if_the_line_pass_fails(
    tmp_path: Path, db: Path, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise duckdb.IOException("simulated failure of the physical-line pass")

    monkeypatch.setattr(ingest, "_csv_row_starts", broken)
    path = write(tmp_path / "r.csv", "\n".join([HEADER, job("j1"), job("r") + ",X", job("j2")]) + "\n")
    assert run(path).code == 0
    assert jobs_rows(db, path, "row_number, line_number, job_id, raw_record is not null") == [
        (1, None, "j1", False), (2, None, None, True), (3, None, "j2", False)
    ]  # fmt: skip
    assert "approximate" in one(db, "select message from raw.load_manifest")


def test_extra_columns_land_as_a_json_object(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    header = HEADER + ", Region ,Cost Center,,region,MODEL"
    body = job("j1") + ',eu-west-1,"cc, 7",,dup,shadow model'
    path = write(tmp_path / "extra.csv", header + "\n" + body + "\n")
    assert run(path).code == 0
    model, extra = one(db, "select model, extra_columns from raw.jobs_export")
    assert model == "gpt-5.4-mini"  # the first 'model' column wins; the repeat is an extra
    assert json.loads(extra) == {"region": "eu-west-1", "cost center": "cc, 7", "column_18": None,
                                 "region_19": "dup", "model_20": "shadow model"}  # fmt: skip
    assert list(json.loads(extra)) == ["region", "cost center", "column_18", "region_19", "model_20"]


# ---------------------------------------------------------------------------------------------
# JSONL tolerance


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_bad_json_lines_land_as_they_are(tmp_path: Path, db: Path, run: Callable[..., Run], compress: bool) -> None:
    lines = [
        gw("ok"),
        gw("truncated")[:25],
        "[1, 2]",
        '"just a string"',
        "{not json at all",
        '{"tab":\t1}',
        gw("last"),
    ]
    path = write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    if compress:
        path = write(tmp_path / "bad.jsonl.gz", gzip.compress(path.read_bytes()))
    result = run(path)
    assert result.code == 0, result
    assert gateway_lines(db, path) == list(enumerate(lines, start=1))
    assert one(db, "select message from raw.load_manifest") == "7 lines landed, 0 blank lines skipped"


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_control_bytes_send_the_file_to_the_exact_fallback_reader(
    tmp_path: Path, db: Path, run: Callable[..., Run], compress: bool
) -> None:
    """0x1F bytes (the fast reader's delimiter starts with one): plain files are checked while hashing,
    gzip files by a worker thread during the load, which is then redone with the fallback reader."""
    lines = [
        gw("ok"),
        '{"with": "unit separator \x1f inside"}',
        '{"with": "the reader delimiter \x1f\x1e\x1d\x1c inside"}',
        "\x1f\x1e\x1d\x1c",
        "",
        "ends with the delimiter \x1f\x1e\x1d\x1c",
        gw("last"),
    ]
    data = ("\n".join(lines) + "\n").encode()
    path = write(tmp_path / ("ctl.jsonl.gz" if compress else "ctl.jsonl"), gzip.compress(data) if compress else data)
    assert run(path).code == 0
    assert gateway_lines(db, path) == [(i, line) for i, line in enumerate(lines, start=1) if line]
    assert one(db, "select message from raw.load_manifest") == (
        "6 lines landed, 1 blank lines skipped, split by the fallback reader"
    )


def test_bom_crlf_and_no_final_newline(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "win.jsonl", "\ufeff" + "\r\n".join([gw("a"), "", gw("c"), "[3]\x1f\x1e\x1d\x1c"]))
    assert run(path).code == 0
    assert gateway_lines(db, path) == [(1, gw("a")), (3, gw("c")), (4, "[3]\x1f\x1e\x1d\x1c")]


def test_mixed_line_endings_use_the_fallback_reader(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    lines = [gw("a"), gw("b") + "\r", "", '{"lone": "cr\rinside"}', gw("e")]  # LF file with one CRLF line
    path = write(tmp_path / "mixed.jsonl.gz", gzip.compress(("\n".join(lines) + "\n").encode()))
    assert run(path).code == 0
    assert gateway_lines(db, path) == [(1, gw("a")), (2, gw("b")), (4, '{"lone": "cr\rinside"}'), (5, gw("e"))]
    assert "fallback" in one(db, "select message from raw.load_manifest")


def test_invalid_utf8_line_lands_and_keeps_the_numbering(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "latin1.jsonl", gw("a").encode() + b'\n{"name": "M\xfcller"}\n' + gw("c").encode() + b"\n")
    assert run(path).code == 0
    rows = gateway_lines(db, path)
    assert [(n, text) for n, text in rows if n != 2] == [(1, gw("a")), (3, gw("c"))]
    assert rows[1][0] == 2 and rows[1][1].startswith('{"name": "M') and rows[1][1].endswith('ller"}')


def test_line_numbers_stay_physical_in_a_large_file(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    """Parallel reading over many buffers, with blank lines and reader rejects (invalid UTF-8, a line
    over DuckDB's max_line_size) scattered through 300k lines: every number is the physical line."""
    n = 300_000
    long_line = '{"long": "' + "y" * 3_000_000 + '"}'
    special: dict[int, bytes] = {
        7: b"", 70_001: b'{"latin1": "M\xfcller"}', 150_000: b"   ", 150_001: b"",
        200_000: long_line.encode(), 299_999: b'{"bad": "\xff\xfe"}',
    }  # fmt: skip
    lines = [special.get(i, b'{"i": %d}' % i) for i in range(1, n + 1)]
    data = b"\n".join(lines) + b"\n"
    plain = write(tmp_path / "large.jsonl", data)
    packed = write(tmp_path / "large.jsonl.gz", gzip.compress(data + b"\n", compresslevel=1))  # another sha
    result = run(plain, packed)
    assert result.code == 0, result
    for source in (plain, packed):
        got = q(db, "select count(*), count(*) filter (where raw_line <> '{\"i\": ' || line_number || '}') "
                    "from raw.gateway_requests where file_path = ? and line_number not in (70001, 200000, 299999)",
                [str(source)])  # fmt: skip
        assert got == [(n - 6, 0)]
        rest = dict(q(db, "select line_number, raw_line from raw.gateway_requests where file_path = ? "
                          "and line_number in (70001, 200000, 299999)", [str(source)]))  # fmt: skip
        assert rest[200_000] == long_line
        assert rest[70_001].startswith('{"latin1": "M') and rest[70_001].endswith('ller"}')
        assert rest[299_999].startswith('{"bad": "') and rest[299_999].endswith('"}')
        message = one(db, "select message from raw.load_manifest where file_path = ?", [str(source)])
        assert message == f"{n - 3} lines landed, {3 if source == plain else 4} blank lines skipped, " \
                          "3 lines recovered from the reader's reject table"


# ---------------------------------------------------------------------------------------------
# Concurrency


def test_two_ingests_at_once_wait_for_each_other_and_do_not_duplicate(tmp_path: Path, db: Path) -> None:
    n = 200_000
    big = write(tmp_path / "big.jsonl", b"".join(b'{"i": %d}\n' % i for i in range(n)))
    other = write(tmp_path / "other.csv", HEADER + "\n" + job("j1") + "\n")
    first = cli(db, big, other)
    second = cli(db, other, big)
    _out1, err1 = first.communicate(timeout=300)
    _out2, err2 = second.communicate(timeout=300)
    assert (first.returncode, second.returncode) == (0, 0), err1 + err2
    assert "waiting for another run" in err1 + err2
    assert one(db, "select count(*) from raw.gateway_requests") == n
    assert one(db, "select count(*) from raw.jobs_export") == 1
    assert q(db, "select status, count(*) from raw.load_manifest group by 1 order by 1") == [("loaded", 2), ("skipped", 2)]
    assert sorted(r[0] for r in q(db, "select load_id from raw.load_manifest")) == [1, 2, 3, 4]


def landed_state(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Everything an ingest run decides, without the wall-clock columns: the manifest and every raw row."""
    return {
        "manifest": q(db, "select load_id, file_path, file_sha256, format, rows, status, message "
                          "from raw.load_manifest order by load_id"),
        "gateway": q(db, "select load_id, file_path, file_sha256, line_number, raw_line "
                         "from raw.gateway_requests order by load_id, line_number"),
        "jobs": q(db, "select * exclude (loaded_at) from raw.jobs_export order by load_id, row_number"),
        "documents": q(db, "select * exclude (loaded_at) from raw.source_documents order by load_id, line_number"),
    }  # fmt: skip


def test_files_landing_at_once_end_as_they_would_one_after_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to TOKENLEDGER_INGEST_WORKERS files land at once; the warehouse, the load ids and the report are those
    of one file after another. The copy of the large first file is checked only once that file has committed:
    without that wait it would land a second time (both skip checks before either commit)."""
    data = tmp_path / "data"
    big = write(data / "a_big.jsonl", "".join(f"{gw(f'r{i}')}\n" + ("\n" if i % 5000 == 0 else "") for i in range(150_000)))
    files = [
        big,
        write(data / "b_jobs.csv", HEADER + "\n" + job("j1") + "\n" + job("j2", agent="b") + "\n"),
        write(data / "c_bad.csv", "job_id,model\nx,y\n"),  # refused
        write(data / "d_copy_of_a.jsonl", big.read_bytes()),  # the same bytes: skipped
        write(data / "e_gzip.jsonl.gz", gzip.compress(("\n".join(gw(f"z{i}") for i in range(3000)) + "\n").encode())),
        write(data / "f_control.jsonl", gw("c1") + "\n" + '{"x": "\x1f"}' + "\n"),  # the fallback reader
        write(data / "g_copy_of_b.csv", (data / "b_jobs.csv").read_bytes()),
        write(data / "h_empty.jsonl", ""),  # refused
    ]
    in_flight, most, threads = [0], [0], set()
    real = ingest.ingest_file

    def counted(*args: Any, **kwargs: Any) -> ingest.Outcome:
        threads.add(threading.current_thread().name.rsplit("_", 1)[0])
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        try:
            return real(*args, **kwargs)
        finally:
            in_flight[0] -= 1

    monkeypatch.setattr(ingest, "ingest_file", counted)
    runs, states = {}, {}
    for workers in ("1", "3"):
        monkeypatch.setenv("TOKENLEDGER_INGEST_WORKERS", workers)
        wh = tmp_path / f"wh{workers}" / "w.duckdb"
        runs[workers] = ingest_in_process(capsys, "--db", wh, *files)
        states[workers] = landed_state(wh)
        if workers == "1":
            assert (threads, most[0]) == ({"MainThread"}, 1)
            threads.clear()
            most[0] = 0
    assert threads == {"tokenledger-load"} and most[0] >= 2  # the files did land at once
    assert runs["3"] == runs["1"]
    assert runs["3"].code == 1
    assert [line.split(":")[0] for line in runs["3"].out.splitlines()] == [
        f"{status} {path}" for status, path in zip(
            ["loaded", "loaded", "refused", "skipped", "loaded", "loaded", "skipped", "refused"], files, strict=True)
    ]  # fmt: skip
    assert states["3"] == states["1"]
    manifest = states["3"]["manifest"]
    assert [row[0] for row in manifest] == list(range(1, len(files) + 1))
    assert manifest[3][5:] == ("skipped", "already loaded as load 1")
    assert manifest[6][5:] == ("skipped", "already loaded as load 2")
    assert len(states["3"]["gateway"]) == 150_000 + 3000 + 2
    # r0 is line 1, a blank line follows r0 and r5000: r1..r5000 are lines 3..5002, r5001 line 5004
    assert [row[3] for row in states["3"]["gateway"] if row[0] == 1][:5002][-3:] == [5001, 5002, 5004]


def test_a_bad_ingest_workers_setting_stops_the_run_before_anything(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "g.jsonl", gw("a") + "\n")
    for bad in ("0", "-2", "two", "1.5"):
        monkeypatch.setenv("TOKENLEDGER_INGEST_WORKERS", bad)
        proc = cli(db, path)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, out + err
        assert err.splitlines() == [f"ingest: TOKENLEDGER_INGEST_WORKERS must be a positive whole number of files, got {bad!r}"]
        assert not db.exists()
