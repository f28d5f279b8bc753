"""tokenledger ingest --target postgres: the DuckDB target's rows exactly, idempotent, atomic per file, serialised.

One throwaway PostgreSQL server for the module (tools/pg_sandbox.py); every test gets a fresh database in
it. The CLI runs in-process (ingest.main, the TOKENLEDGER_PG_* variables monkeypatched) except where two
runs must overlap or a run must wait: those are subprocesses.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pg_sandbox
import psycopg
import pytest
from test_ingest import HEADER, Run, gw, ingest_in_process, job, q, write

from tokenledger import ingest
from tokenledger.common import PG_LOCK_KEY

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_AND_SOURCES = (PROJECT_ROOT / "data" / "sample", PROJECT_ROOT / "tests" / "fixtures" / "sources")
TABLES = ("raw.load_manifest", "raw.gateway_requests", "raw.jobs_export", "raw.source_documents")
TIMESTAMPS = frozenset({"loaded_at", "started_at"})  # when it ran: differs between two runs
NUL_REFUSAL = 'load failed: invalid byte sequence for encoding "UTF8": 0x00'


@dataclass(frozen=True)
class PgDatabase:
    env: dict[str, str]  # TOKENLEDGER_PG_* for this database
    conninfo: str

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.conninfo) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.query(sql, params)[0][0]


@pytest.fixture(scope="module")
def server() -> Iterator[pg_sandbox.Server]:
    with pg_sandbox.sandbox() as running:
        yield running


@pytest.fixture
def pg(server: pg_sandbox.Server, monkeypatch: pytest.MonkeyPatch) -> PgDatabase:
    """A fresh database on the module's server; TOKENLEDGER_PG_* point at it (for in-process runs)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.conninfo(), autocommit=True) as con:
        con.execute(f"create database {name}")
    env = server.env() | {"TOKENLEDGER_PG_DBNAME": name}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return PgDatabase(env, server.conninfo(dbname=name))


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """run(arg, ...) runs the CLI in-process with exactly these arguments."""

    def _run(*args: Path | str) -> Run:
        return ingest_in_process(capsys, *args)

    return _run


def cli(env: dict[str, str], *paths: Path, lock_wait: str = "120") -> subprocess.Popen[str]:
    full_env = {**os.environ, **env, "TOKENLEDGER_LOCK_WAIT": lock_wait}
    return subprocess.Popen(
        [sys.executable, "-m", "tokenledger", "ingest", "--target", "postgres", *map(str, paths)],
        cwd=PROJECT_ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def columns(table: str) -> list[str]:
    """The table's columns as the DuckDB DDL declares them, in order."""
    con = duckdb.connect()
    ingest.ensure_raw_tables(con)
    names = [row[0] for row in con.execute(f"select * from {table} limit 0").description]
    con.close()
    return names


def compared(table: str) -> str:
    return ", ".join(name for name in columns(table) if name not in TIMESTAMPS)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def nonblank_lines(text: str) -> list[tuple[int, str]]:
    """(physical line number, line) of every line that is not ASCII whitespace only: the gateway contract."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [(n, line.removesuffix("\r")) for n, line in enumerate(lines, start=1) if line.strip(" \t\n\r\v\f")]


def tricky_gateway_text() -> str:
    """More lines than one COPY batch, and the characters a text COPY would have to escape."""
    special = [
        gw("tab\there"), '{"backslash": "\\\\N", "raw": "\\N"}', "\\N", "", "  \t ",
        '{"unicode": "übersicht ✓ 😀"}', "not json at all, kept verbatim", '  {"padded": true}  ',
        json.dumps({"long": "x" * 100_000}), "\\.",
    ]  # fmt: skip
    return "\n".join([*special, *(gw(f"r{i}") for i in range(ingest.COPY_BATCH + 2_500))]) + "\n"


# ---------------------------------------------------------------------------------------------
# Lossless: the DuckDB target's rows, exactly


def test_postgres_lands_exactly_the_rows_the_duckdb_target_lands(
    tmp_path: Path, pg: PgDatabase, run: Callable[..., Run]
) -> None:
    extra = tmp_path / "extra"
    tricky = write(extra / "a_tricky.jsonl", tricky_gateway_text())
    write(extra / "b_tricky.jsonl.gz", gzip.compress(tricky_gateway_text().replace("r1", "z1").encode()))
    jobs = [HEADER + ",team", job("j1") + ",t1", job("j2", model="", labels='"a,b"') + ",", "ragged,row"]
    write(extra / "c_jobs.csv", "\n".join(jobs) + "\n")
    paths = (*SAMPLE_AND_SOURCES, extra)
    db = tmp_path / "wh" / "reference.duckdb"

    reference = run("--db", db, *paths)
    landed = run("--target", "postgres", *paths)

    assert reference.code == 0, reference
    assert landed.code == 0, landed
    assert landed.out == reference.out  # the same lines: paths, load ids, row counts, messages
    assert [line.split()[0] for line in landed.out.splitlines()] == ["loaded"] * (4 + 10 + 3)
    for table in TABLES:
        select = f"select {compared(table)} from {table}"
        expected = Counter(q(db, select))
        assert Counter(pg.query(select)) == expected, table
        assert sum(expected.values()) > 0, table
    # Independently of either target: the lines of the file and the hash of its bytes.
    assert pg.query("select line_number, raw_line from raw.gateway_requests where file_path = %s order by 1",
                    [str(tricky)]) == nonblank_lines(tricky.read_text())  # fmt: skip
    manifest = pg.query("select file_path, file_sha256, file_bytes from raw.load_manifest")
    assert manifest and all((sha(Path(p)), Path(p).stat().st_size) == (h, n) for p, h, n in manifest)
    # Every raw row carries its manifest row's loaded_at.
    for table in TABLES[1:]:
        assert pg.scalar(f"select count(*) from {table} t join raw.load_manifest m using (load_id) "
                         "where t.loaded_at is distinct from m.loaded_at") == 0  # fmt: skip


def test_postgres_tables_have_the_duckdb_columns_and_types(pg: PgDatabase, run: Callable[..., Run]) -> None:
    assert run("--target", "postgres", PROJECT_ROOT / "tests" / "fixtures" / "sources" / "otel").code == 0
    as_postgres = {"BIGINT": "bigint", "VARCHAR": "character varying", "TIMESTAMP": "timestamp without time zone", "DATE": "date"}
    con = duckdb.connect()
    ingest.ensure_raw_tables(con)
    sql = ("select table_name, column_name, {} from information_schema.columns where table_schema = 'raw' "
           "order by table_name, ordinal_position")  # fmt: skip
    expected = [(t, c, as_postgres[d]) for t, c, d in con.execute(sql.format("data_type")).fetchall()]
    con.close()
    assert pg.query(sql.format("data_type")) == expected
    assert pg.scalar("select count(*) from information_schema.columns where table_schema = 'raw' "
                     "and character_maximum_length is not null") == 0  # varchar without a length  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Idempotent


def test_a_rerun_skips_every_file_and_adds_only_skipped_manifest_rows(pg: PgDatabase, run: Callable[..., Run]) -> None:
    first = run("--target", "postgres", *SAMPLE_AND_SOURCES)
    assert first.code == 0, first
    before = {table: Counter(pg.query(f"select * from {table}")) for table in TABLES}
    load_of = {line.split(":")[0].removeprefix("loaded "): int(line.split(" as load ")[1].split()[0])
               for line in first.out.splitlines()}  # fmt: skip

    again = run("--target", "postgres", *SAMPLE_AND_SOURCES)

    assert again.code == 0, again
    assert again.out.splitlines() == [f"skipped {path}: already loaded as load {n}" for path, n in load_of.items()]
    for table in TABLES[1:]:
        assert Counter(pg.query(f"select * from {table}")) == before[table], table
    manifest = Counter(pg.query("select * from raw.load_manifest"))
    added = manifest - before["raw.load_manifest"]
    assert manifest - added == before["raw.load_manifest"]  # nothing changed or went away
    top = max(load_of.values())
    assert sorted((r[0], r[1], r[6], r[7]) for r in added) == [
        (top + i, str(Path(path).absolute()), 0, "skipped") for i, path in enumerate(load_of, start=1)
    ]


# ---------------------------------------------------------------------------------------------
# Atomic per file: Postgres refuses, the file is refused, the run goes on


def test_a_file_postgres_cannot_hold_is_refused_atomically(
    tmp_path: Path, pg: PgDatabase, run: Callable[..., Run]
) -> None:
    good = write(tmp_path / "in" / "a_good.jsonl", gw("g1") + "\n" + gw("g2") + "\n")
    # More rows than one COPY batch reach Postgres before the line with a raw NUL inside a JSON string.
    lines = [gw(f"n{i}") for i in range(ingest.COPY_BATCH + 5_000)] + ['{"request_id": "nul\x00here"}', gw("last")]
    nul = write(tmp_path / "in" / "b_nul.jsonl", "\n".join(lines) + "\n")
    jobs = write(tmp_path / "in" / "c_jobs.csv", HEADER + "\n" + job("j1") + "\n")

    # DuckDB holds the NUL: this refusal is the Postgres target's alone.
    duck = run("--db", tmp_path / "wh" / "w.duckdb", tmp_path / "in")
    assert duck.code == 0, duck
    assert q(tmp_path / "wh" / "w.duckdb", "select count(*) from raw.gateway_requests where raw_line like "
             "'%' || chr(0) || '%'") == [(1,)]  # fmt: skip

    result = run("--target", "postgres", tmp_path / "in")

    assert result.code == 1, result
    assert result.out.splitlines() == [
        f"loaded {good}: 2 rows as load 1 (2 lines landed, 0 blank lines skipped)",
        f"refused {nul}: {NUL_REFUSAL}",
        f"loaded {jobs}: 1 rows as load 3 (1 records landed, 0 rejected by the CSV parser (kept in raw_record))",
    ]
    assert result.err_lines == [f"refused {nul}: {NUL_REFUSAL}"]
    for table in TABLES[1:]:
        assert pg.scalar(f"select count(*) from {table} where file_sha256 = %s", [sha(nul)]) == 0, table
    assert pg.query("select load_id, format, rows, status, message from raw.load_manifest where file_sha256 = %s",
                    [sha(nul)]) == [(2, "gateway_jsonl", 0, "refused", NUL_REFUSAL)]  # fmt: skip
    assert pg.query("select file_sha256, count(*) from raw.gateway_requests group by 1") == [(sha(good), 2)]
    assert pg.query("select job_id from raw.jobs_export") == [("j1",)]
    # A refused file is tried again (and refused again); the loaded ones are skipped.
    again = run("--target", "postgres", tmp_path / "in")
    assert again.code == 1
    assert [line.split(":")[0] for line in again.out.splitlines()] == [f"skipped {good}", f"refused {nul}",
                                                                       f"skipped {jobs}"]  # fmt: skip


def test_rows_and_manifest_row_commit_together(tmp_path: Path, pg: PgDatabase, run: Callable[..., Run]) -> None:
    """Postgres rejects the manifest row, the last COPY of the file's transaction: its raw rows go too."""
    with psycopg.connect(pg.conninfo, autocommit=True) as con:
        for statement in ingest.postgres_ddl():
            con.execute(statement)
        con.execute("alter table raw.load_manifest add constraint no_b "
                    "check (file_name <> 'b.jsonl' or status <> 'loaded')")
    a = write(tmp_path / "a.jsonl", gw("a") + "\n")
    b = write(tmp_path / "b.jsonl", "\n".join(gw(f"b{i}") for i in range(30_000)) + "\n")
    c = write(tmp_path / "c.jsonl", gw("c") + "\n")

    result = run("--target", "postgres", a, b, c)

    assert result.code == 1, result
    [refusal] = [line for line in result.out.splitlines() if line.startswith("refused")]
    assert refusal == (f'refused {b}: load failed: new row for relation "load_manifest" violates check constraint '
                       '"no_b"')  # fmt: skip
    assert pg.query("select file_name, count(*) from raw.gateway_requests join raw.load_manifest using (load_id) "
                    "group by 1 order by 1") == [("a.jsonl", 1), ("c.jsonl", 1)]  # fmt: skip
    assert pg.scalar("select count(*) from raw.gateway_requests where file_path = %s", [str(b)]) == 0
    assert pg.query("select load_id, status, rows from raw.load_manifest order by load_id") == [
        (1, "loaded", 1), (2, "refused", 0), (3, "loaded", 1)
    ]


# ---------------------------------------------------------------------------------------------
# Serialised: the advisory lock


def wait_until_both_try_the_lock(pg: PgDatabase) -> None:
    database = pg.env["TOKENLEDGER_PG_DBNAME"]
    deadline = time.monotonic() + 120
    while pg.scalar("select count(*) from pg_stat_activity where datname = %s and query like "
                    "'select pg_try_advisory_lock(%%'", [database]) < 2:  # fmt: skip
        assert time.monotonic() < deadline, "the two ingests never tried the lock"
        time.sleep(0.1)


def test_overlapping_ingests_wait_for_each_other_and_lose_nothing(tmp_path: Path, pg: PgDatabase) -> None:
    files = [write(tmp_path / f"{name}.jsonl", "\n".join(gw(f"{name}{i}") for i in range(40_000)) + "\n")
             for name in ("first", "second")]  # fmt: skip
    with psycopg.connect(pg.conninfo, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", [PG_LOCK_KEY])
        procs = [cli(pg.env, path) for path in files]
        wait_until_both_try_the_lock(pg)
        time.sleep(0.5)
        assert [proc.poll() for proc in procs] == [None, None]  # both waiting for the lock
        assert pg.scalar("select count(*) from information_schema.tables where table_schema = 'raw'") == 0
        holder.execute("select pg_advisory_unlock(%s)", [PG_LOCK_KEY])
        results = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, out + err
        assert "waiting for another run to release advisory lock" in err
    outs = sorted(out for out, _ in results)
    assert len({out.split(" as load ")[1].split()[0] for out in outs}) == 2  # distinct load ids
    assert pg.query("select file_name, load_id, rows, status from raw.load_manifest order by load_id") in (
        [("first.jsonl", 1, 40_000, "loaded"), ("second.jsonl", 2, 40_000, "loaded")],
        [("second.jsonl", 1, 40_000, "loaded"), ("first.jsonl", 2, 40_000, "loaded")],
    )
    for path in files:
        numbers = pg.query("select count(*), count(distinct line_number), min(line_number), max(line_number) "
                           "from raw.gateway_requests where file_path = %s", [str(path)])  # fmt: skip
        assert numbers == [(40_000, 40_000, 1, 40_000)]


def test_a_run_that_cannot_get_the_lock_gives_up_with_a_message(tmp_path: Path, pg: PgDatabase) -> None:
    path = write(tmp_path / "a.jsonl", gw("a") + "\n")
    with psycopg.connect(pg.conninfo, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", [PG_LOCK_KEY])
        out, err = (proc := cli(pg.env, path, lock_wait="1")).communicate(timeout=60)
    assert proc.returncode == 1
    assert out == ""
    assert "the Postgres warehouse is busy" in err and "gave up after 1s" in err
    assert pg.scalar("select count(*) from information_schema.tables where table_schema = 'raw'") == 0


# ---------------------------------------------------------------------------------------------
# Usage and connection errors


def test_db_and_target_postgres_together_is_a_usage_error(tmp_path: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "a.jsonl", gw("a") + "\n")
    result = run("--target", "postgres", "--db", tmp_path / "w.duckdb", path)
    assert result.code == 2
    assert "cannot be combined with --target postgres" in result.err
    assert not (tmp_path / "w.duckdb").exists()


def test_an_unreachable_server_exits_2_with_a_message(
    tmp_path: Path, pg: PgDatabase, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKENLEDGER_PG_PORT", str(pg_sandbox.free_port()))  # nothing listens there
    result = run("--target", "postgres", write(tmp_path / "a.jsonl", gw("a") + "\n"))
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("ingest: cannot reach the Postgres warehouse tokenledger@127.0.0.1:")


def test_unload_and_reload_on_postgres(tmp_path: Path, pg: PgDatabase, run: Callable[..., Run],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from tokenledger import unload

    jobs = write(tmp_path / "jobs.csv", HEADER + "\n" + job("j-1") + "\n")
    assert run("--target", "postgres", jobs).code == 0
    capsys.readouterr()
    assert unload.main(["1", "--reason", "test export", "--by", "ops@corp.example", "--target", "postgres"]) == 0
    assert capsys.readouterr().out.startswith(f"unloaded load 1 ({jobs.absolute()}, jobs_csv, 1 rows) by ops@corp.example")
    assert unload.main(["1", "--reason", "again", "--target", "postgres"]) == 0
    assert "already unloaded" in capsys.readouterr().out
    assert unload.main(["7", "--reason", "none", "--target", "postgres"]) == 1
    assert pg.query("select load_id, unloaded_by, unload_reason from raw.load_unloads") == [
        (1, "ops@corp.example", "test export")]
    skipped = run("--target", "postgres", jobs)
    assert skipped.code == 0 and "unloaded as load 1 (by ops@corp.example" in skipped.out
    reloaded = run("--target", "postgres", "--reload", jobs)
    assert reloaded.code == 0 and reloaded.out.startswith(f"loaded {jobs}: 1 rows as load 3")
    assert pg.query("select load_id, status from raw.load_manifest order by 1") == [
        (1, "loaded"), (2, "skipped"), (3, "loaded")]
