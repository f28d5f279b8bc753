"""The marts of a dbt target, for the commands that read them (summary, export, report, alerts, query).

    with open_marts("postgres", RELATIONS) as con:   # a DuckDB connection, whatever the target
        ...

The output commands are written once, in DuckDB SQL. `open_marts(target, relations)` gives them a DuckDB
connection holding the relations they read, as the target built them:

- `duckdb`: the warehouse file itself, read-only, under its writer lock (common.warehouse_lock).
- `postgres`: the Postgres warehouse (common.pg_conninfo), read under its advisory writer lock
  (common.postgres_lock); each relation that exists there is copied (COPY ... TO STDOUT, text in UTC) into
  an in-memory DuckDB table of the same schema and name, with exact types: numeric(p,s) -> DECIMAL(p,s),
  a numeric without a declared scale (Postgres sums and quotients) -> DECIMAL(38, s) with s its largest
  scale in the data, or HUGEINT when every value is whole (a sum of integers, as DuckDB types it);
  timestamp and timestamp with time zone -> TIMESTAMP in UTC; arrays and json through JSON text.
- `spark`: a SparkSession built from the profile's `spark` output (common.spark_settings, the settings
  dbt-spark's session uses), under the Spark warehouse's writer lock (common.spark_lock: the Derby
  metastore admits one JVM); each relation that exists is written to a temporary Parquet copy (exact
  decimals, timestamps as UTC microseconds) and loaded into an in-memory DuckDB table: DecimalType(p,s)
  -> DECIMAL(p,s), TimestampType -> TIMESTAMP in UTC, DateType -> DATE, StringType -> VARCHAR,
  LongType -> BIGINT, ... No value passes through a float.

A relation the target does not have is not created, so the commands' own checks (information_schema,
common.last_build_problem on raw.build_runs) read the same as on DuckDB. Failures to reach or read the
target raise WarehouseError (one line); a writer lock not had in time raises SystemExit, as
common.warehouse_lock does. Only the relations named are fetched.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tokenledger.common import (
    PROJECT_ROOT,
    connect,
    default_db_path,
    pg_conninfo,
    pg_label,
    postgres_lock,
    spark_label,
    spark_lock,
    spark_settings,
    warehouse_lock,
)

if TYPE_CHECKING:
    import psycopg
    from pyspark.sql import SparkSession

TARGETS = ("duckdb", "postgres", "spark")
# dbt's own environment variable for the target (dbt --target): honoured by the commands' --target default.
TARGET_ENV = "DBT_TARGET"
# Where the JVM of a command that reads the Spark warehouse writes its log (Spark's and Derby's messages).
SPARK_LOG = PROJECT_ROOT / "logs" / "spark-reader.log"
# Every command that reads the marts checks the last build's record (common.last_build_problem).
BUILD_RECORD = ("raw.build_runs",)


class WarehouseError(Exception):
    """The target cannot be reached or read; the message is the one-line reason."""


def one_line(exc: BaseException) -> str:
    """An exception's message as one line: its first non-empty line, else its type's name."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def default_target() -> str:
    """The target when --target is not given: env DBT_TARGET (as dbt reads it), else duckdb."""
    return os.environ.get(TARGET_ENV) or "duckdb"


def add_target_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default=None, metavar="{" + ",".join(TARGETS) + "}",
                        help="the warehouse engine the marts were built on (default: $DBT_TARGET, else duckdb)")


def resolve_target(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Validate args.target (default_target() when not given) and args.db, a usage error (exit 2) otherwise:
    --db is the DuckDB warehouse file, so it cannot be combined with another target. Sets args.db on duckdb."""
    target = args.target if args.target is not None else default_target()
    if target not in TARGETS:
        source = "--target" if args.target is not None else f"${TARGET_ENV}"
        parser.error(f"{source}: unknown target {target!r} (choose from {', '.join(TARGETS)})")
    if target != "duckdb" and getattr(args, "db", None) is not None:
        parser.error(f"--db is the DuckDB warehouse file: it cannot be combined with --target {target}")
    args.target = target
    if target == "duckdb" and getattr(args, "db", None) is None:
        args.db = default_db_path()


def label(target: str, db: Path | None = None) -> str:
    """The warehouse for messages: the DuckDB file, user@host:port/dbname, or spark:<warehouse directory>."""
    if target == "postgres":
        return f"postgres:{pg_label()}"
    if target == "spark":
        return spark_label()
    return str(db if db is not None else default_db_path())


def relation_names(relations: Iterable[str]) -> list[tuple[str, str]]:
    """'schema.name' texts as (schema, name), build record first, each once."""
    seen: dict[tuple[str, str], None] = {}
    for text in (*BUILD_RECORD, *relations):
        schema, _, name = text.partition(".")
        if not schema or not name:
            raise ValueError(f"not a schema.name relation: {text!r}")
        seen.setdefault((schema, name), None)
    return list(seen)


@contextlib.contextmanager
def open_marts(target: str, relations: Iterable[str], db: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection to the marts of `target` (see the module's docstring), held under its writer lock."""
    if target == "duckdb":
        path = db if db is not None else default_db_path()
        with warehouse_lock(path), connect(path, read_only=True) as con:
            yield con
    elif target == "postgres":
        with _postgres_marts(relation_names(relations)) as con:
            yield con
    elif target == "spark":
        with spark_lock():
            session = spark_session()
            with _memory() as con:
                load_spark(session, con, relation_names(relations))
                yield con
    else:
        raise ValueError(f"unknown target {target!r}")


@contextlib.contextmanager
def _memory() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------------
# Postgres
# --------------------------------------------------------------------------------------------------

_PG_TYPES = {
    "bool": "BOOLEAN", "int2": "SMALLINT", "int4": "INTEGER", "int8": "BIGINT", "float4": "REAL",
    "float8": "DOUBLE", "text": "VARCHAR", "varchar": "VARCHAR", "bpchar": "VARCHAR", "name": "VARCHAR",
    "date": "DATE", "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMP", "time": "TIME", "uuid": "UUID",
    "json": "JSON", "jsonb": "JSON", "interval": "INTERVAL",
}  # fmt: skip
DUCKDB_MAX_PRECISION = 38


@contextlib.contextmanager
def pg_connection() -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the Postgres warehouse, its session in UTC with ISO dates; WarehouseError
    when it cannot be reached."""
    import psycopg

    try:
        con = psycopg.connect(pg_conninfo(), autocommit=True)
    except psycopg.Error as exc:
        raise WarehouseError(f"cannot connect to the Postgres warehouse {pg_label()}: {one_line(exc)}") from None
    with con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set DateStyle = 'ISO, YMD'")
        con.execute("set IntervalStyle = 'iso_8601'")
        yield con


@contextlib.contextmanager
def _postgres_marts(relations: list[tuple[str, str]]) -> Iterator[duckdb.DuckDBPyConnection]:
    import psycopg

    with pg_connection() as pg, postgres_lock(pg), _memory() as con, tempfile.TemporaryDirectory() as tmp:
        try:
            for schema, name in relations:
                load_postgres_relation(pg, con, schema, name, Path(tmp))
        except psycopg.Error as exc:
            raise WarehouseError(f"cannot read the Postgres warehouse {pg_label()}: {one_line(exc)}") from None
        yield con


def _pg_columns(pg: psycopg.Connection[Any], schema: str, name: str) -> list[tuple[str, str, int, str | None]] | None:
    """(column, type name, type modifier, element type name of an array) of a relation; None when it does not exist."""
    oid = pg.execute("select to_regclass(%s)::oid", [f"{_quote(schema)}.{_quote(name)}"]).fetchone()
    if oid is None or oid[0] is None:
        return None
    rows = pg.execute(
        """
        select a.attname, t.typname, a.atttypmod, case when t.typcategory = 'A' then e.typname end
        from pg_attribute as a
        join pg_type as t on t.oid = a.atttypid
        left join pg_type as e on e.oid = t.typelem
        where a.attrelid = %s and a.attnum > 0 and not a.attisdropped
        order by a.attnum
        """,
        [oid[0]],
    ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2]), None if r[3] is None else str(r[3])) for r in rows]


def _free_numeric_types(pg: psycopg.Connection[Any], relation: str, columns: list[str]) -> dict[str, str]:
    """The DuckDB types of numeric columns without a declared precision (one scan of the relation): DECIMAL(38,
    the column's largest scale), or HUGEINT when every value is whole (a sum of integers, as DuckDB types it);
    WarehouseError when a value cannot be held exactly in 38 digits."""
    if not columns:
        return {}
    measures = ", ".join(f"max(scale({c})), max(length(trunc(abs({c}))::text))" for c in columns)
    row = pg.execute(f"select {measures} from {relation}").fetchone() or ()
    types = {}
    for index, column in enumerate(columns):
        scale = int(row[2 * index]) if row and row[2 * index] is not None else 0
        digits = int(row[2 * index + 1]) if row and row[2 * index + 1] is not None else 1
        if digits + scale > DUCKDB_MAX_PRECISION:
            raise WarehouseError(f"{relation}.{column}: a value needs {digits + scale} digits, more than DuckDB's "
                                 f"{DUCKDB_MAX_PRECISION}: it cannot be read exactly")
        types[column] = "HUGEINT" if scale == 0 else f"DECIMAL({DUCKDB_MAX_PRECISION},{scale})"
    return types


def _pg_duckdb_type(relation: str, column: str, typname: str, typmod: int, free: dict[str, str]) -> str:
    if typname == "numeric":
        if typmod < 0:
            return free[column]
        precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
        if precision > DUCKDB_MAX_PRECISION:
            raise WarehouseError(f"{relation}.{column}: numeric({precision},{scale}) is wider than DuckDB's "
                                 f"DECIMAL({DUCKDB_MAX_PRECISION})")
        return f"DECIMAL({precision},{scale})"
    return _PG_TYPES.get(typname, "VARCHAR")


def load_postgres_relation(pg: psycopg.Connection[Any], con: duckdb.DuckDBPyConnection, schema: str, name: str,
                           tmp: Path) -> bool:
    """Copy one Postgres relation into `con` as a table of the same schema and name; False when it does not exist."""
    columns = _pg_columns(pg, schema, name)
    if columns is None:
        return False
    relation = f"{_quote(schema)}.{_quote(name)}"
    free = _free_numeric_types(pg, relation, [_quote(c) for c, t, m, e in columns if t == "numeric" and m < 0 and e is None])
    selects, csv_types, finals = [], {}, []
    for index, (column, typname, typmod, element) in enumerate(columns):
        quoted, alias = _quote(column), f"c{index}"
        if element is not None:  # an array: JSON text in Postgres, a DuckDB list
            element_type = _PG_TYPES.get(element, "VARCHAR")  # numbers of a numeric[] as their exact text
            selects.append(f"to_json({quoted})::text")
            csv_types[alias] = "VARCHAR"
            finals.append(f"cast(cast({alias} as JSON) as {element_type}[]) as {quoted}")
            continue
        kind = _pg_duckdb_type(relation, quoted, typname, typmod, free)
        if typname == "timestamptz":  # the session is UTC: the text is the UTC time with its +00 offset
            selects.append(f"({quoted} at time zone 'UTC')")
        else:
            selects.append(quoted)
        csv_types[alias] = kind
        finals.append(f"{alias} as {quoted}")
    path = tmp / f"{schema}.{name}.csv"
    statement = f"copy (select {', '.join(selects) or 'null'} from {relation}) to stdout (format csv, header false)"
    with path.open("wb") as handle, pg.cursor() as cursor, cursor.copy(statement) as copy:
        for chunk in copy:
            handle.write(chunk)
    con.execute(f"create schema if not exists {_quote(schema)}")
    if not columns:
        con.execute(f"create table {relation} as select 1 as c where false")
        return True
    type_map = "{" + ", ".join(f"{_sql_text(k)}: {_sql_text(v)}" for k, v in csv_types.items()) + "}"
    con.execute(
        f"create table {relation} as select {', '.join(finals)} from read_csv({_sql_text(str(path))}, "
        f"columns = {type_map}, header = false, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        "allow_quoted_nulls = false, new_line = '\\n')"
    )
    return True


# --------------------------------------------------------------------------------------------------
# Spark
# --------------------------------------------------------------------------------------------------


def spark_session() -> SparkSession:
    """The SparkSession of the `spark` target: Hive support and the profile's settings (common.spark_settings),
    as dbt-spark's session method builds it; an active session of this process is reused. The JVM's own
    output (Spark's and Derby's log lines) goes to logs/spark-reader.log, not to this command's stdout/stderr.
    WarehouseError when pyspark is missing or the JVM cannot start."""
    quiet_pyspark()
    try:
        from pyspark import SparkContext
        from pyspark.sql import SparkSession
    except ImportError:
        raise WarehouseError("pyspark is not installed (make setup-spark installs it)") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_settings().items():
        builder = builder.config(key, value)
    try:
        if SparkContext._gateway is None:  # the JVM starts now: its stdout and stderr go to the log
            with _output_to(SPARK_LOG):
                return builder.getOrCreate()
        return builder.getOrCreate()
    except Exception as exc:  # pyspark raises several kinds here (no Java, a JVM that exits)
        raise WarehouseError(f"cannot start Spark for {spark_label()}: {one_line(exc)} (log: {SPARK_LOG})") from None


def quiet_pyspark() -> None:
    """No pyspark chatter on this command's stderr: the error it logs beside the exception it raises (the
    command prints that exception's message itself, one line) and its warning about the pandas version."""
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """File descriptors 1 and 2 pointed at `path` (appended) for the duration: a child started meanwhile keeps it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with path.open("ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def spark_error_types() -> tuple[type[BaseException], ...]:
    """The exceptions a Spark statement raises (pyspark's captured errors and py4j's), for except clauses."""
    kinds: list[type[BaseException]] = []
    with contextlib.suppress(ImportError):
        from pyspark.errors import PySparkException

        kinds.append(PySparkException)
    with contextlib.suppress(ImportError):
        from py4j.protocol import Py4JError  # type: ignore[import-untyped]

        kinds.append(Py4JError)
    return tuple(kinds)


def spark_relation_exists(session: SparkSession, schema: str, name: str) -> bool:
    return bool(session.catalog.databaseExists(schema) and session.catalog.tableExists(f"{schema}.{name}"))


def load_spark(session: SparkSession, con: duckdb.DuckDBPyConnection, relations: list[tuple[str, str]]) -> None:
    """Copy each existing relation from Spark into `con` (WarehouseError when Spark fails)."""
    with tempfile.TemporaryDirectory(prefix="tokenledger-spark-") as tmp:
        try:
            for schema, name in relations:
                load_spark_relation(session, con, schema, name, Path(tmp))
        except spark_error_types() as exc:
            raise WarehouseError(f"cannot read the Spark warehouse {spark_label()}: {one_line(exc)}") from None


def load_spark_relation(session: SparkSession, con: duckdb.DuckDBPyConnection, schema: str, name: str,
                        tmp: Path) -> bool:
    """One Spark relation as a DuckDB table of the same schema and name (through a temporary Parquet copy:
    Spark's decimals, dates and strings as they are, timestamps as UTC microseconds); False when absent."""
    from pyspark.sql.types import TimestampType

    if not spark_relation_exists(session, schema, name):
        return False
    frame = session.table(f"`{schema}`.`{name}`")
    fields = frame.schema.fields
    names = [f"c{index}" for index in range(len(fields))]  # Parquet-safe, and distinct whatever the names are
    session.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    where = tmp / f"{schema}.{name}"
    frame.toDF(*names).coalesce(1).write.mode("overwrite").parquet(str(where))
    finals = [
        f"cast({alias} as TIMESTAMP) as {_quote(field.name)}" if isinstance(field.dataType, TimestampType)
        else f"{alias} as {_quote(field.name)}"
        for alias, field in zip(names, fields, strict=True)
    ]  # fmt: skip
    relation = f"{_quote(schema)}.{_quote(name)}"
    con.execute(f"create schema if not exists {_quote(schema)}")
    if not fields:
        con.execute(f"create table {relation} as select 1 as c where false")
    else:
        files = sorted(str(path) for path in where.glob("*.parquet"))
        if not files:
            raise WarehouseError(f"Spark wrote no Parquet file for {schema}.{name}")
        listed = "[" + ", ".join(_sql_text(path) for path in files) + "]"
        con.execute(f"create table {relation} as select {', '.join(finals)} from read_parquet({listed})")
    shutil.rmtree(where, ignore_errors=True)
    return True
