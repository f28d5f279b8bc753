"""tokenledger ingest --target spark: the Parquet lake, read back through Spark's raw tables.

Lossless (the DuckDB target's rows exactly, the input files' own lines and hashes), idempotent by content
hash, atomic per file (the manifest file is published last; an interrupted run's data files are removed by
the next one), serialised by the lake's lock, refusals reported as on the other targets. One SparkSession
(local[1], a temporary warehouse and Derby metastore) serves the module; every test has its own lake, and
the raw tables are re-created over it (ingest.raw_ddl('spark'): the dbt macro's statements) before Spark
reads. Tests that only need the files read the lake with DuckDB, and run without Spark.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_ingest import HEADER, Run, gw, ingest_in_process, job, q, write

from tokenledger import ingest, lake, unload

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = PROJECT_ROOT / "data" / "sample"
SOURCES = PROJECT_ROOT / "tests" / "fixtures" / "sources"
LOAD_TABLES = ("gateway_requests", "jobs_export", "source_documents")
ALL_RAW = ("load_manifest", "load_unloads", *LOAD_TABLES, "build_runs", "build_results", "build_months", "build_inputs")
TIMESTAMPS = frozenset({"loaded_at", "started_at"})  # when it ran: differs between two runs
# A wall time that does not exist in Europe/Berlin (clocks jump from 02:00 to 03:00 that night): a value read
# through any zone but UTC would come back shifted.
FIXED_NOW = datetime(2026, 3, 29, 2, 30, 0, 123456)
NO_SPARK = (
    "pyspark is not installed (make setup-spark)" if importlib.util.find_spec("pyspark") is None
    else "java is not on PATH (Spark needs Java 17)" if shutil.which("java") is None and not os.environ.get("JAVA_HOME")
    else None
)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Harness


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local Spark for the module, in UTC, its JVM in another zone (Europe/Berlin) to prove it does not matter."""
    if NO_SPARK:
        pytest.skip(NO_SPARK)
    from pyspark.sql import SparkSession

    home = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[1]").appName("test_ingest_lake")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.warehouse.dir", str(home / "tables"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={home / 'metastore'};create=true")
        .config("spark.driver.extraJavaOptions", f"-Duser.timezone=Europe/Berlin -Dderby.system.home={home / 'derby'}")
        .enableHiveSupport().getOrCreate()
    )  # fmt: skip
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def over(spark: Any, lake_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Spark's raw tables (re-)created over `lake_path` with the macro's DDL; returns the session."""
    monkeypatch.setenv("TOKENLEDGER_LAKE", str(lake_path))
    for table in ALL_RAW:
        spark.sql(f"drop table if exists raw.{table}")  # external tables: the files stay
    for statement in ingest.raw_ddl("spark"):
        spark.sql(statement)
    return spark


def rows(spark: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in spark.sql(sql).collect()]


def columns(table: str) -> list[str]:
    con = duckdb.connect()
    ingest.ensure_raw_tables(con)
    names = [row[0] for row in con.execute(f"select * from raw.{table} limit 0").description]
    con.close()
    return names


def compared(table: str) -> str:
    return ", ".join(f"`{name}`" for name in columns(table) if name not in TIMESTAMPS)


@pytest.fixture
def lake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "lake"
    monkeypatch.setenv("TOKENLEDGER_LAKE", str(path))
    monkeypatch.setenv("TOKENLEDGER_LOCK_WAIT", "120")
    return path


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """run(arg, ...) runs `tokenledger ingest` in-process with exactly these arguments."""

    def _run(*args: Path | str) -> Run:
        return ingest_in_process(capsys, *args)

    return _run


def cli(lake_dir: Path, *paths: Path, lock_wait: str = "120") -> subprocess.Popen[str]:
    env = {**os.environ, "TOKENLEDGER_LOCK_WAIT": lock_wait, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tokenledger", "ingest", "--target", "spark", "--lake", str(lake_dir), *map(str, paths)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def lake_files(lake_dir: Path, table: str) -> list[str]:
    folder = lake_dir / table
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def lake_q(lake_dir: Path, table: str, select: str = "*", where: str = "") -> list[tuple[Any, ...]]:
    """A lake table's published files read with DuckDB (no Spark needed), as a list of rows."""
    files = [str(lake_dir / table / name) for name in lake_files(lake_dir, table) if not name.startswith((".", "_"))]
    if not files:
        return []
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    try:
        return con.execute(f"select {select} from read_parquet(?) {where}", [files]).fetchall()
    finally:
        con.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def nonblank_lines(data: bytes) -> list[tuple[int, str]]:
    """(physical line number, line) of every line that is not ASCII whitespace only, one trailing CR dropped:
    the gateway contract, computed from the bytes (valid UTF-8 here)."""
    text = data.decode("utf-8").removeprefix("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [(n, line.removesuffix("\r")) for n, line in enumerate(lines, start=1) if line.strip(" \t\n\r\v\f")]


def hostile_files(folder: Path) -> dict[str, Path]:
    """The inputs the DuckDB target's tests are hardest on, in one folder."""
    long_line = json.dumps({"long": "y" * 3_000_000})
    gateway = [
        gw("ok"), '{"request_id": "nul\x00inside"}', "", "   \t", '{"unicode": "übersicht ✓ 😀", "esc": "a\\"b\\\\c"}',
        "not json at all, kept verbatim", '  {"padded": true}  ', long_line, "\\N", gw("last"),
    ]  # fmt: skip
    ctl = [gw("c1"), '{"unit": "separator \x1f inside"}', "\x1f\x1e\x1d\x1c", "", gw("c5")]
    jobs = [HEADER + ",team", job("j1", workflow='"line one\r\nline two"') + ",t1",
            job("j2", labels='"{""team"": ""search""}"') + ",", "ragged,row", job("j3", workflow='"x""y"') + ",t3"]  # fmt: skip
    return {
        "a_hostile.jsonl": write(folder / "a_hostile.jsonl", "\n".join(gateway) + "\n"),
        "b_crlf.jsonl": write(folder / "b_crlf.jsonl", "\ufeff" + "\r\n".join([gw("w1"), "", gw("w3"), "[3]"])),
        "c_ctl.jsonl.gz": write(folder / "c_ctl.jsonl.gz", gzip.compress(("\n".join(ctl) + "\n").encode())),
        "d_latin1.jsonl": write(folder / "d_latin1.jsonl", gw("l1").encode() + b'\n{"name": "M\xfcller"}\n' + b'{"bad": "\xff\xfe"}\n'),
        "e_jobs.csv": write(folder / "e_jobs.csv", "\ufeff" + "\r\n".join(jobs) + "\r\n"),
    }


# ---------------------------------------------------------------------------------------------
# Lossless through Spark


def test_the_sample_sources_and_hostile_files_read_back_through_spark_exactly(
    tmp_path: Path, lake_path: Path, spark: Any, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = hostile_files(tmp_path / "hostile")
    paths = (SAMPLE, SOURCES, tmp_path / "hostile")
    db = tmp_path / "wh" / "reference.duckdb"
    reference = run("--db", db, *paths)
    landed = run("--target", "spark", *paths)
    assert reference.code == 0, reference
    assert landed.code == 0, landed
    assert landed.out == reference.out  # the same lines: paths, load ids, row counts, messages
    inputs = ingest.expand_inputs([str(p) for p in paths])[0]
    assert landed.out.count("\nloaded ") + landed.out.startswith("loaded ") == len(inputs)

    s = over(spark, lake_path, monkeypatch)
    for table in ("load_manifest", *LOAD_TABLES):
        select = f"select {compared(table)} from raw.{table}"
        expected = Counter(q(db, select))
        assert sum(expected.values()) > 0, table
        assert Counter(rows(s, select)) == expected, table
    # Independently of either target: each file's lines, its hash and size.
    for name in ("a_hostile.jsonl", "b_crlf.jsonl"):
        path = hostile[name]
        got = rows(s, f"select line_number, raw_line from raw.gateway_requests where file_path = '{path}' order by 1")
        assert got == nonblank_lines(path.read_bytes()), name
    # Byte for byte: Spark's own sha256 of the UTF-8 bytes it holds, against Python's of the lines.
    path = hostile["a_hostile.jsonl"]
    digests = rows(s, f"select line_number, sha2(raw_line, 256) from raw.gateway_requests where file_path = '{path}' order by 1")
    assert digests == [(n, hashlib.sha256(line.encode()).hexdigest()) for n, line in nonblank_lines(path.read_bytes())]
    assert rows(s, f"select max(length(raw_line)) from raw.gateway_requests where file_path = '{path}'") == [(3_000_012,)]
    assert rows(s, "select count(*) from raw.gateway_requests where instr(raw_line, char(0)) > 0") == [(1,)]
    manifest = rows(s, "select file_path, file_sha256, file_bytes, rows from raw.load_manifest")
    assert len(manifest) == len(inputs)
    assert all((sha(Path(p)), Path(p).stat().st_size) == (h, n) for p, h, n, _ in manifest)
    # Every raw row carries its manifest row's loaded_at, through Spark.
    for table in LOAD_TABLES:
        assert rows(s, f"select count(*) from raw.{table} t join raw.load_manifest m using (load_id) "
                       "where not (t.loaded_at <=> m.loaded_at)") == [(0,)], table  # fmt: skip
    # Rows per load: what the manifest says landed, in every table together.
    counted = dict(rows(s, "select load_id, sum(n) from ("
                           + " union all ".join(f"select load_id, count(*) as n from raw.{t} group by load_id" for t in LOAD_TABLES)
                           + ") group by load_id"))  # fmt: skip
    assert counted == {load_id: n for load_id, n in rows(s, "select load_id, `rows` from raw.load_manifest") if n}


def test_spark_tables_have_the_duckdb_columns_and_spark_types(
    lake_path: Path, spark: Any, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("--target", "spark", SOURCES / "otel").code == 0
    s = over(spark, lake_path, monkeypatch)
    as_spark = {"BIGINT": "bigint", "VARCHAR": "string", "TIMESTAMP": "timestamp", "DATE": "date"}
    con = duckdb.connect()
    ingest.ensure_raw_tables(con)
    for table in ALL_RAW:
        expected = [(name, as_spark[str(kind)]) for name, kind, *_ in con.execute(f"select * from raw.{table} limit 0").description]
        described = [(r[0], r[1]) for r in rows(s, f"describe table raw.{table}")]
        assert described == expected, table
        location = [r[1] for r in rows(s, f"describe table extended raw.{table}") if r[0] == "Location"]
        assert location == [f"file:{lake_path / table}"], table
    con.close()
    assert rows(s, "select count(*) from raw.source_documents") != [(0,)]


def test_timestamps_read_back_as_the_same_utc_wall_time(
    tmp_path: Path, lake_path: Path, spark: Any, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "utc_now", lambda: FIXED_NOW)
    path = write(tmp_path / "g.jsonl", gw("a") + "\n")
    assert run("--target", "spark", path).code == 0
    s = over(spark, lake_path, monkeypatch)
    assert rows(s, "select current_timezone()") == [("UTC",)]
    assert s.sparkContext._jvm.java.util.TimeZone.getDefault().getID() == "Europe/Berlin"
    wall = FIXED_NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    fmt = "date_format({}, 'yyyy-MM-dd HH:mm:ss.SSSSSS')"
    assert rows(s, f"select {fmt.format('started_at')}, {fmt.format('loaded_at')} from raw.load_manifest") == [(wall, wall)]
    assert rows(s, f"select {fmt.format('loaded_at')} from raw.gateway_requests") == [(wall,)]
    # As an instant: microseconds since the epoch of that UTC wall time.
    epoch_micros = int((FIXED_NOW - datetime(1970, 1, 1)).total_seconds()) * 1_000_000 + FIXED_NOW.microsecond
    assert rows(s, "select unix_micros(loaded_at) from raw.load_manifest") == [(epoch_micros,)]
    # Read without the table's schema, the files say `timestamp` too (a Parquet timestamp without a zone, which
    # DuckDB writes for TIMESTAMP, is inferred as timestamp_ntz).
    inferred = s.read.parquet(str(lake_path / "load_manifest")).schema
    assert {f.name: f.dataType.simpleString() for f in inferred if f.name in TIMESTAMPS} == {
        "started_at": "timestamp", "loaded_at": "timestamp"
    }  # fmt: skip
    # The same instant in a session in another zone.
    s.conf.set("spark.sql.session.timeZone", "Europe/Berlin")
    try:
        assert rows(s, f"select unix_micros(loaded_at), {fmt.format('loaded_at')} from raw.gateway_requests") == [
            (epoch_micros, "2026-03-29 04:30:00.123456")  # CEST, UTC+2, once the clocks have jumped
        ]
    finally:
        s.conf.set("spark.sql.session.timeZone", "UTC")


def test_relative_lake_paths_are_from_the_project_root(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spark resolves a relative table location against the schema's warehouse folder, never the working
    directory: the DDL always carries the absolute lake, which the CLI resolves the same way."""
    monkeypatch.setenv("TOKENLEDGER_LAKE", "warehouse/lake")
    assert lake.lake_dir() == PROJECT_ROOT / "warehouse" / "lake"
    ddl = [s for s in ingest.raw_ddl("spark") if "raw.gateway_requests" in s]
    assert ddl[0].endswith(f"using parquet location '{PROJECT_ROOT / 'warehouse' / 'lake' / 'gateway_requests'}'")
    spark.sql("create table if not exists raw.relative_probe (a bigint) using parquet location 'some/relative'")
    try:
        location = [r[1] for r in rows(spark, "describe table extended raw.relative_probe") if r[0] == "Location"]
        warehouse = spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:")
        assert location[0].removeprefix("file:") == f"{warehouse}/raw.db/some/relative"
    finally:
        spark.sql("drop table raw.relative_probe")


def test_spark_writes_its_build_record_into_the_lake_and_ingest_leaves_it_alone(
    tmp_path: Path, lake_path: Path, spark: Any, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    s = over(spark, lake_path, monkeypatch)
    s.sql("insert into raw.build_runs values ('inv-1', 'build', timestamp '2026-10-01 00:30:00', 10, 0, 0, 0, 1)")
    s.sql("insert into raw.build_results values ('inv-1', 'model.tokenledger.x', 'model', 'success', null)")
    before = {t: lake_files(lake_path, t) for t in ("build_runs", "build_results")}
    assert all(any(name.startswith("part-") for name in names) for names in before.values())
    assert run("--target", "spark", write(tmp_path / "g.jsonl", gw("a") + "\n")).code == 0
    assert {t: lake_files(lake_path, t) for t in before} == before
    s = over(spark, lake_path, monkeypatch)
    assert rows(s, "select invocation_id, cast(finished_at as string), nodes, warnings from raw.build_runs") == [
        ("inv-1", "2026-10-01 00:30:00", 10, 1)
    ]


# ---------------------------------------------------------------------------------------------
# Idempotent by content hash


def test_a_second_run_skips_every_file_and_spark_sees_the_same_rows(
    tmp_path: Path, lake_path: Path, spark: Any, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = ingest.expand_inputs([str(SAMPLE)])[0]
    first = run("--target", "spark", SAMPLE)
    assert first.code == 0, first
    s = over(spark, lake_path, monkeypatch)
    before = {t: Counter(rows(s, f"select * from raw.{t}")) for t in LOAD_TABLES}
    again = run("--target", "spark", SAMPLE)
    renamed = write(tmp_path / "elsewhere" / "copy.jsonl", inputs[0].read_bytes())
    third = run("--target", "spark", renamed)
    assert again.code == 0 and third.code == 0, again
    assert again.out.splitlines() == [f"skipped {p}: already loaded as load {n}" for n, p in enumerate(inputs, start=1)]
    assert third.out.splitlines() == [f"skipped {renamed}: already loaded as load 1"]
    s = over(spark, lake_path, monkeypatch)
    for table in LOAD_TABLES:
        assert Counter(rows(s, f"select * from raw.{table}")) == before[table], table
    n = len(inputs)
    assert rows(s, "select load_id, status, `rows` = 0 from raw.load_manifest where load_id > 0 order by 1") == [
        *((i, "loaded", False) for i in range(1, n + 1)), *((i, "skipped", True) for i in range(n + 1, 2 * n + 2))
    ]
    # Every line of the sample's plain JSONL, once.
    jsonl = next(p for p in inputs if p.suffix == ".jsonl")
    assert rows(s, f"select line_number, raw_line from raw.gateway_requests where file_path = '{jsonl}' order by 1") == (
        nonblank_lines(jsonl.read_bytes())
    )


def test_a_redelivered_file_with_changed_bytes_is_a_new_load(
    tmp_path: Path, lake_path: Path, spark: Any, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "drop" / "gateway.jsonl", gw("a") + "\n" + gw("b") + "\n")
    old_sha = sha(path)
    assert run("--target", "spark", path).code == 0
    write(path, gw("a") + "\n" + gw("b") + "\n" + gw("c") + "\n")  # the day's file, re-delivered with one more line
    result = run("--target", "spark", path)
    assert result.code == 0, result
    assert result.out.splitlines() == [f"loaded {path}: 3 rows as load 2 (3 lines landed, 0 blank lines skipped)"]
    s = over(spark, lake_path, monkeypatch)
    assert rows(s, "select load_id, file_sha256, count(*) from raw.gateway_requests group by 1, 2 order by 1") == [
        (1, old_sha, 2), (2, sha(path), 3)
    ]


# ---------------------------------------------------------------------------------------------
# Atomic per file: the manifest file is published last


class Crash(BaseException):
    """The process dying at that instant (nothing below catches a BaseException)."""


def test_a_run_killed_before_the_manifest_leaves_nothing_a_reader_counts(
    tmp_path: Path, lake_path: Path, spark: Any, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write(tmp_path / "in" / "a.jsonl", gw("a") + "\n")
    lines = [gw(f"b{i}") for i in range(5_000)]
    b = write(tmp_path / "in" / "b.jsonl", "\n".join(lines) + "\n")
    real = lake.publish_manifest

    def dies_before_b(con: duckdb.DuckDBPyConnection, lake_dir: Path, load_id: int) -> None:
        if load_id == 2:
            raise Crash
        real(con, lake_dir, load_id)

    monkeypatch.setattr(lake, "publish_manifest", dies_before_b)
    with pytest.raises(Crash):
        ingest.main(["--target", "spark", str(a), str(b)])
    monkeypatch.setattr(lake, "publish_manifest", real)
    # b's data file was published; its manifest row never was. A write cut short leaves a hidden file too.
    assert lake_files(lake_path, "gateway_requests") == ["load-000000000001.parquet", "load-000000000002.parquet"]
    assert lake_files(lake_path, "load_manifest") == ["load-000000000001.parquet"]
    write(lake_path / "gateway_requests" / ".load-000000000003.parquet.999.tmp", b"PAR1 half written")

    s = over(spark, lake_path, monkeypatch)
    trusted = ("select count(*) from raw.gateway_requests g "
               "where g.load_id in (select load_id from raw.load_manifest where status = 'loaded')")  # fmt: skip
    assert rows(s, trusted) == [(1,)]  # a reader that trusts the manifest never counts b
    assert rows(s, "select count(*) from raw.gateway_requests") == [(1 + len(lines),)]  # the orphan is on disk

    again = run("--target", "spark", a, b)
    assert again.code == 0, again
    assert again.err_lines == ["tokenledger: removed the data files of load(s) 2 from the lake (written by an "
                               "interrupted run, never in its manifest)"]  # fmt: skip
    assert again.out.splitlines() == [
        f"skipped {a}: already loaded as load 1",
        f"loaded {b}: {len(lines)} rows as load 3 ({len(lines)} lines landed, 0 blank lines skipped)",
    ]
    assert lake_files(lake_path, "gateway_requests") == ["load-000000000001.parquet", "load-000000000003.parquet"]
    s = over(spark, lake_path, monkeypatch)
    assert rows(s, "select count(*), count(distinct line_number), min(line_number), max(line_number) "
                   f"from raw.gateway_requests where file_path = '{b}'") == [(len(lines), len(lines), 1, len(lines))]  # fmt: skip
    assert rows(s, "select load_id, status from raw.load_manifest order by 1") == [(1, "loaded"), (2, "skipped"), (3, "loaded")]


def test_a_file_the_lake_cannot_take_is_refused_and_leaves_no_data_file(
    tmp_path: Path, lake_path: Path, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write(tmp_path / "in" / "a.jsonl", gw("a") + "\n")
    b = write(tmp_path / "in" / "b.csv", HEADER + "\n" + job("j1") + "\n")
    c = write(tmp_path / "in" / "c.jsonl", gw("c") + "\n")
    real = lake.publish_manifest
    failures = iter([True])  # the first manifest write of b fails; the refused row's then succeeds

    def full_disk(con: duckdb.DuckDBPyConnection, lake_dir: Path, load_id: int) -> None:
        status = con.execute("select status from raw.load_manifest where load_id = ?", [load_id]).fetchone()
        if load_id == 2 and status == ("loaded",) and next(failures, False):
            raise OSError(28, "No space left on device")
        real(con, lake_dir, load_id)

    monkeypatch.setattr(lake, "publish_manifest", full_disk)
    result = run("--target", "spark", a, b, c)
    assert result.code == 1
    assert result.err_lines == [f"refused {b}: load failed: [Errno 28] No space left on device"]
    assert lake_files(lake_path, "jobs_export") == []  # its data file was published, then taken back
    assert lake_q(lake_path, "load_manifest", "load_id, format, rows, status", "order by 1") == [
        (1, "gateway_jsonl", 1, "loaded"), (2, "jobs_csv", 0, "refused"), (3, "gateway_jsonl", 1, "loaded")
    ]
    monkeypatch.setattr(lake, "publish_manifest", real)
    retry = run("--target", "spark", b)
    assert retry.out.splitlines() == [f"loaded {b}: 1 rows as load 4 (1 records landed, 0 rejected by the CSV parser "
                                      "(kept in raw_record))"]  # fmt: skip
    assert lake_q(lake_path, "jobs_export", "load_id, job_id") == [(4, "j1")]


# ---------------------------------------------------------------------------------------------
# Serialised: the lake's lock


@pytest.fixture
def held_lock(lake_path: Path) -> Iterator[Path]:
    lake_path.mkdir(parents=True)
    with open(lake_path / "_lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield lake_path


def test_a_run_that_cannot_get_the_lock_gives_up_with_a_message(tmp_path: Path, held_lock: Path) -> None:
    proc = cli(held_lock, write(tmp_path / "a.jsonl", gw("a") + "\n"), lock_wait="1")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert out == ""
    assert f"tokenledger: the lake {held_lock} is busy" in err and "gave up after 1s" in err
    assert lake_files(held_lock, "load_manifest") == []


def test_overlapping_ingests_wait_for_each_other_and_lose_nothing(tmp_path: Path, lake_path: Path) -> None:
    n = 40_000
    files = [write(tmp_path / f"{name}.jsonl", "\n".join(gw(f"{name}{i}") for i in range(n)) + "\n")
             for name in ("first", "second")]  # fmt: skip
    lake_path.mkdir(parents=True)
    with open(lake_path / "_lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        procs = [cli(lake_path, files[0], files[1]), cli(lake_path, files[1], files[0])]
        for proc in procs:  # each announces that it waits (a blocking read: it cannot go on while the lock is held)
            assert proc.stderr is not None
            first = proc.stderr.readline()
            assert first.startswith(f"tokenledger: waiting for another run to release {lake_path / '_lock'}"), first
        assert [proc.poll() for proc in procs] == [None, None]
        assert lake_files(lake_path, "load_manifest") == []
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        results = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, out + err
    assert sorted(lake_q(lake_path, "load_manifest", "load_id, status")) == [(1, "loaded"), (2, "loaded"),
                                                                             (3, "skipped"), (4, "skipped")]  # fmt: skip
    for path in files:
        assert lake_q(lake_path, "gateway_requests", "count(*), count(distinct line_number)",
                      f"where file_path = '{path}'") == [(n, n)]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Refusals and usage, as on the other targets


@pytest.mark.parametrize(
    ("name", "content", "problem", "file_format"),
    [
        ("missing.csv", "job_id,agent,input_tokens,output_tokens\nj1,a,1,2\n",
         "missing required columns: created_at, model", "jobs_csv"),
        ("notes.jsonl", "hello, this is not an export\nsecond line\n",
         "unrecognised format (neither a JSON object line nor a CSV header with job_id)", None),
        ("empty.jsonl", b"", "empty file (0 bytes)", None),
        ("broken.jsonl.gz", b"\x1f\x8b\x08\x00garbage that is not deflate", "unreadable gzip: ", None),
    ],
)  # fmt: skip
def test_refusals_are_reported_as_on_the_other_targets(
    tmp_path: Path, lake_path: Path, run: Callable[..., Run], name: str, content: bytes | str, problem: str,
    file_format: str | None,
) -> None:  # fmt: skip
    bad = write(tmp_path / name, content)
    good = write(tmp_path / "zz_good.jsonl", gw("ok") + "\n")
    db = tmp_path / "wh" / "reference.duckdb"
    reference = run("--db", db, bad, good)
    result = run("--target", "spark", bad, good)
    assert (result.code, result.out, result.err) == (reference.code, reference.out, reference.err)
    assert result.code == 1
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith(f"refused {bad}: {problem}")
    assert result.out.splitlines()[1].startswith(f"loaded {good}: 1 rows")
    manifest = lake_q(lake_path, "load_manifest", "format, rows, status, message", f"where file_name = '{name}'")
    assert [m[:3] for m in manifest] == [(file_format, 0, "refused")]
    assert manifest[0][3].startswith(problem)
    assert lake_q(lake_path, "gateway_requests", "count(*)") == [(1,)]
    assert run("--target", "spark", bad).code == 1  # refused again, not remembered as loaded


def test_usage_and_lake_errors_exit_2(tmp_path: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "a.jsonl", gw("a") + "\n")
    with_db = run("--target", "spark", "--db", tmp_path / "w.duckdb", path)
    assert with_db.code == 2 and "cannot be combined with --target spark" in with_db.err
    lake_alone = run("--lake", tmp_path / "lake", path)
    assert lake_alone.code == 2 and "--lake is the Spark target's Parquet lake" in lake_alone.err
    blocked = write(tmp_path / "not_a_dir", "a file where the lake should be")
    result = run("--target", "spark", "--lake", blocked / "lake", path)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(f"ingest: the lake {blocked / 'lake'}: Not a directory")
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "lake").exists()


# ---------------------------------------------------------------------------------------------
# Unload


def test_unload_and_reload_on_the_lake(
    tmp_path: Path, lake_path: Path, spark: Any, run: Callable[..., Run], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    jobs = write(tmp_path / "jobs.csv", HEADER + "\n" + job("j-1") + "\n")
    assert run("--target", "spark", jobs).code == 0
    capsys.readouterr()
    assert unload.main(["1", "--reason", "test export", "--by", "ops@corp.example", "--target", "spark"]) == 0
    assert capsys.readouterr().out.startswith(f"unloaded load 1 ({jobs}, jobs_csv, 1 rows) by ops@corp.example")
    assert unload.main(["1", "--reason", "again", "--target", "spark"]) == 0
    assert "already unloaded" in capsys.readouterr().out
    assert unload.main(["7", "--reason", "none", "--target", "spark"]) == 1
    assert lake_files(lake_path, "load_unloads") == ["load-000000000001.parquet"]
    skipped = run("--target", "spark", jobs)
    assert skipped.code == 0 and "unloaded as load 1" in skipped.out and "--reload" in skipped.out
    reloaded = run("--target", "spark", "--reload", jobs)
    assert reloaded.out.startswith(f"loaded {jobs}: 1 rows as load 3")
    s = over(spark, lake_path, monkeypatch)
    assert rows(s, "select load_id, unloaded_by, unload_reason from raw.load_unloads") == [
        (1, "ops@corp.example", "test export")
    ]
    assert rows(s, "select load_id, job_id from raw.jobs_export order by 1") == [(1, "j-1"), (3, "j-1")]
