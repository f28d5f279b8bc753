"""`tokenledger query` and the marts reader (tokenledger.warehouse) on every engine: DuckDB, Postgres, Spark.

The same small table (exact decimal(38,24) money with 24 significant decimals, a timestamp with
microseconds, a date, a bigint beyond a float's precision, text with a comma and quotes, an empty text,
NULLs) and the same failed build record (raw.build_runs) are created on each engine by the same SQL; the
query's CSV must be the text computed here from the Python values, byte for byte, on every engine, and the
reader must hand the output commands a DuckDB copy with the exact types and values.

Postgres: a throwaway server (tools/pg_sandbox.py), skipped when none can be started. Spark: one local
SparkSession for the module (a temporary warehouse and Derby metastore through TOKENLEDGER_SPARK_*),
skipped when pyspark or Java is missing; the reader and the query run in-process on that session.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Context, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tokenledger import query, warehouse
from tokenledger.common import connect, last_build_problem

AMOUNT = Decimal("12345678901234.123456789012345678901234")  # 38 digits, 24 of them decimals
TINY = Decimal("0.000000000000000000000001")
NEGATIVE = Decimal("-1.5")
AT = datetime(2026, 3, 4, 5, 6, 7, 123456)
DAY = date(2026, 2, 28)
BIG = 2**53 + 1  # not a float
TEAM = 'a,b "quoted"'
COLUMNS = ("team_id", "amount", "tiny", "negative", "occurred_at", "usage_day", "n", "flag", "missing", "empty")
ROWS: list[tuple[Any, ...]] = [
    (TEAM, AMOUNT, TINY, NEGATIVE, AT, DAY, BIG, True, None, ""),
    ("z-nulls", None, None, None, None, None, None, False, None, None),
]
FINISHED = datetime(2026, 11, 2, 7, 30)
EXACT = Context(prec=60)  # Python's default context keeps 28 digits: these values have 38


def sql_literal(value: Any, kind: str) -> str:
    if value is None:
        return f"cast(null as {kind})"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"cast('{value}' as decimal(38,24))"
    if isinstance(value, datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def setup_statements(text: str, decimal: str, timestamp: str, suffix: str = "") -> list[str]:
    """The table and the build record, in the dialect's type names (the same SQL otherwise)."""
    kinds = (text, decimal, decimal, decimal, timestamp, "date", "bigint", "boolean", text, text)
    columns = ", ".join(f"{name} {kind}" for name, kind in zip(COLUMNS, kinds, strict=True))
    values = ", ".join("(" + ", ".join(sql_literal(v, k) for v, k in zip(row, kinds, strict=True)) + ")" for row in ROWS)
    return [
        f"create table marts.ledger_sample ({columns}){suffix}",
        f"insert into marts.ledger_sample values {values}",
        f"create table marts.empty_sample (amount {decimal}, occurred_at {timestamp}){suffix}",
        f"create table raw.build_runs (invocation_id {text}, command {text}, finished_at {timestamp}, errors bigint, "
        f"failures bigint, skipped bigint){suffix}",
        f"insert into raw.build_runs values ('one', 'build', {sql_literal(FINISHED, timestamp)}, 1, 2, 3)",
    ]


def expected_csv() -> str:
    """The query's output, from the Python values: NULL empty, "" for the empty text, exact decimals."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, Decimal):
            return format(value.quantize(Decimal(1).scaleb(-24), context=EXACT), "f")  # the column's scale
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, str) and (value == "" or "," in value or '"' in value):
            return '"' + value.replace('"', '""') + '"'
        return str(value)

    lines = [",".join(COLUMNS)] + [",".join(text(v) for v in row) for row in ROWS]
    return "\n".join(lines) + "\n"


SELECT = "select * from marts.ledger_sample order by team_id"


def test_the_expected_text_is_what_the_brief_of_the_format_says() -> None:
    """The hand-computed expectation itself: 24 decimals, never an exponent."""
    line = expected_csv().splitlines()[1]
    assert line.startswith('"a,b ""quoted""",12345678901234.123456789012345678901234,0.000000000000000000000001,'
                           "-1.500000000000000000000000,2026-03-04T05:06:07.123456,2026-02-28,9007199254740993,true,,\"\"")
    assert expected_csv().splitlines()[2] == "z-nulls,,,,,,,false,,"


def run_query(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = query.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_reader_copies_exactly(target: str, **kwargs: Any) -> None:
    """open_marts(target): DuckDB types and values exact, an absent relation absent, the failed build seen."""
    with warehouse.open_marts(target, ["marts.ledger_sample", "marts.empty_sample", "marts.absent"], **kwargs) as con:
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_schema = 'marts' and table_name = 'ledger_sample'").fetchall())
        assert types == {"team_id": "VARCHAR", "amount": "DECIMAL(38,24)", "tiny": "DECIMAL(38,24)",
                         "negative": "DECIMAL(38,24)", "occurred_at": "TIMESTAMP", "usage_day": "DATE", "n": "BIGINT",
                         "flag": "BOOLEAN", "missing": "VARCHAR", "empty": "VARCHAR"}
        assert con.execute(f"select {', '.join(COLUMNS)} from marts.ledger_sample order by team_id").fetchall() == ROWS
        assert con.execute("select amount * 2, tiny * 3 from marts.ledger_sample where team_id = ?", [TEAM]).fetchone() == (
            EXACT.multiply(AMOUNT, 2), EXACT.multiply(TINY, 3))
        assert con.execute("select count(*), any_value(typeof(amount)) from marts.empty_sample").fetchone() == (
            0, None)
        assert dict(con.execute("select column_name, data_type from information_schema.columns "
                                "where table_name = 'empty_sample'").fetchall()) == {"amount": "DECIMAL(38,24)",
                                                                                      "occurred_at": "TIMESTAMP"}
        assert con.execute("select count(*) from information_schema.tables where table_name = 'absent'").fetchone() == (0,)
        problem = last_build_problem(con)
        assert problem is not None and "last dbt build (2026-11-02 07:30 UTC) ended with 1 error(s), 2 failed test(s) " \
            "and 3 skipped node(s)" in problem


# --------------------------------------------------------------------------------------------------
# DuckDB
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def duck_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("query_duckdb") / "warehouse.duckdb"
    with connect(db) as con:
        con.execute("create schema marts")
        con.execute("create schema raw")
        for statement in setup_statements("varchar", "decimal(38,24)", "timestamp"):
            con.execute(statement)
    return db


def test_duckdb_query_prints_exact_csv(duck_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_query(capsys, "--db", str(duck_db), SELECT)
    assert (code, err) == (0, "")
    assert out == expected_csv()


def test_duckdb_query_failures_and_usage(duck_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_query(capsys, "--db", str(duck_db), "select no_such_column from marts.ledger_sample")
    assert code == 1 and out == "" and err.startswith("query: ") and err.count("\n") == 1 and "no_such_column" in err
    code, out, err = run_query(capsys, "--db", str(duck_db), "insert into marts.ledger_sample (team_id) values ('x')")
    assert code == 1 and "read-only" in err.lower()
    assert run_query(capsys, "--db", str(duck_db), "select 1; select 2")[0] == 1
    for args in ([], ["   "], ["--target", "oracle", "select 1"], ["--target", "postgres", "--db", str(duck_db), "select 1"]):
        with pytest.raises(SystemExit) as exit_info:
            query.main(args)
        assert exit_info.value.code == 2, args
    capsys.readouterr()


def test_duckdb_query_formats_every_kind_of_value(duck_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = ("select cast(0 as decimal(10,3)) as zero, 1e-7::double as f, 'line\nbreak' as t, [1, 2] as l, "
           "timestamptz '2026-01-01 12:00:00+02' as tz, cast(null as varchar) as n")
    code, out, _ = run_query(capsys, "--db", str(duck_db), sql)
    assert code == 0
    assert out == 'zero,f,t,l,tz,n\n0.000,0.0000001,"line\nbreak","[1,2]",2026-01-01T10:00:00,\n'


def test_duckdb_reader_is_the_file_itself(duck_db: Path) -> None:
    assert_reader_copies_exactly("duckdb", db=duck_db)


# --------------------------------------------------------------------------------------------------
# Postgres
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_env() -> Iterator[None]:
    pg_sandbox = pytest.importorskip("pg_sandbox")
    psycopg = pytest.importorskip("psycopg")
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(pg_sandbox.sandbox())
        except (RuntimeError, OSError) as exc:
            pytest.skip(f"no PostgreSQL server: {exc}")
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for key, value in server.env().items():
            patch.setenv(key, value)
        with psycopg.connect(server.conninfo(), autocommit=True) as con:
            con.execute("create schema marts")
            con.execute("create schema raw")
            for statement in setup_statements("text", "numeric(38,24)", "timestamp"):
                con.execute(statement)
        yield


def test_postgres_query_prints_the_same_csv(postgres_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_query(capsys, "--target", "postgres", SELECT)
    assert (code, err) == (0, "")
    assert out == expected_csv()


def test_postgres_query_failures(postgres_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_query(capsys, "--target", "postgres", "select no_such_column from marts.ledger_sample")
    assert code == 1 and out == "" and err.count("\n") == 1 and "no_such_column" in err
    code, _, err = run_query(capsys, "--target", "postgres", "drop table marts.ledger_sample")
    assert code == 1 and "read-only" in err


def test_postgres_reader_copies_exactly(postgres_env: None) -> None:
    assert_reader_copies_exactly("postgres")


# --------------------------------------------------------------------------------------------------
# Spark
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (make setup-spark)")
    if shutil.which("java") is None:
        pytest.skip("no java on PATH (Spark needs Java 17)")
    tmp = tmp_path_factory.mktemp("query_spark")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOKENLEDGER_SPARK_WAREHOUSE", str(tmp / "tables"))
        patch.setenv("TOKENLEDGER_SPARK_METASTORE", str(tmp / "metastore"))
        patch.setenv("TOKENLEDGER_SPARK_DRIVER_MEMORY", "1g")
        patch.setenv("TOKENLEDGER_SPARK_SHUFFLE_PARTITIONS", "1")
        session = warehouse.spark_session()
        try:
            session.sql("create database marts")
            session.sql("create database raw")
            for statement in setup_statements("string", "decimal(38,24)", "timestamp", " using parquet"):
                session.sql(statement)
            yield session
        finally:
            session.stop()


def test_spark_settings_come_from_the_profile_and_the_environment(spark_env: Any) -> None:
    conf = spark_env.conf
    assert conf.get("spark.sql.warehouse.dir").removeprefix("file:") == str(warehouse.spark_settings()["spark.sql.warehouse.dir"])
    assert conf.get("spark.sql.session.timeZone") == "UTC"
    assert conf.get("spark.sql.decimalOperations.allowPrecisionLoss") == "false"
    assert Path(warehouse.spark_settings()["spark.sql.warehouse.dir"]).name == "tables"


def test_spark_query_prints_the_same_csv(spark_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_query(capsys, "--target", "spark", SELECT)
    assert (code, err) == (0, "")
    assert out == expected_csv()


def test_spark_query_failures(spark_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_query(capsys, "--target", "spark", "select no_such_column from marts.ledger_sample")
    assert code == 1 and out == "" and err.count("\n") == 1 and "no_such_column" in err
    assert run_query(capsys, "--target", "spark", "selec 1")[0] == 1


def test_spark_reader_copies_exactly(spark_env: Any) -> None:
    assert_reader_copies_exactly("spark")


def test_spark_decimal_arithmetic_stays_exact_through_the_reader(spark_env: Any) -> None:
    spark_env.sql("create or replace temporary view doubled as select amount + tiny as total from marts.ledger_sample")
    spark_env.sql("create table marts.totals using parquet as select * from doubled")
    with warehouse.open_marts("spark", ["marts.totals"]) as con:
        assert con.execute("select total from marts.totals where total is not null").fetchall() == [(EXACT.add(AMOUNT, TINY),)]


def test_spark_lock_is_beside_the_warehouse_directory(spark_env: Any) -> None:
    from tokenledger.common import spark_lock_path, spark_warehouse_dir

    assert spark_lock_path() == spark_warehouse_dir().with_name("tables.lock")
    with warehouse.open_marts("spark", []):
        assert spark_lock_path().exists()


def test_duckdb_types_of_a_relation_absent_everywhere_are_never_invented(duck_db: Path) -> None:
    with warehouse.open_marts("duckdb", ["marts.absent"], db=duck_db) as con, pytest.raises(duckdb.CatalogException):
        con.execute("select * from marts.absent")
