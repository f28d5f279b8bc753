"""Run one SQL statement on a warehouse and print its result as CSV.

    tokenledger query [--target duckdb|postgres|spark] [--db PATH] "SQL"

The statement runs on the target itself, in its own dialect: the DuckDB file (read-only), the Postgres
warehouse (common.pg_conninfo; a read-only session) or the Spark warehouse (spark.sql, in a session built
from the profile's `spark` output: common.spark_settings), under the warehouse's writer lock as the other
outputs read it. `--target` defaults to $DBT_TARGET, else duckdb.

The result goes to stdout as CSV: a header row with the column names, then one line per row (lines end
with \\n). The text of a value depends on its value and type only, never on the engine:
  NULL             an empty field
  text             as is; quoted ("...", inner quotes doubled) when it is empty or holds a comma, a quote
                   or a line break, so an empty text ("") differs from NULL
  decimal          exact plain digits with the type's scale (Decimal formatted with 'f': 0.000000000000000000000001,
                   never 1E-24 or a rounded float)
  integer          digits
  float            the shortest text that reads back to the same float, without exponent; NaN, Infinity, -Infinity
  boolean          true / false
  date             YYYY-MM-DD
  timestamp        ISO-8601 in UTC, YYYY-MM-DDTHH:MM:SS[.ffffff] (a time zone aware value is converted to UTC;
                   every timestamp of the warehouse is UTC)
  list, map, ...   JSON, with the values above inside it
A statement that returns no result set (SET, DDL on Spark) prints nothing.

Exit status: 0 success; 1 the statement failed (the engine's message, one line, on stderr: `query: ...`),
or the warehouse cannot be reached or is busy; 2 usage error (no SQL, an empty one, an unknown target, --db
with another target).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from uuid import UUID

import duckdb

from tokenledger.common import connect, postgres_lock, spark_lock, warehouse_lock
from tokenledger.warehouse import (
    WarehouseError,
    add_target_argument,
    one_line,
    pg_connection,
    resolve_target,
    spark_error_types,
    spark_session,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Result = tuple[list[str], Iterable[Sequence[Any]]]  # (column names, rows); no columns: no result set
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class QueryError(Exception):
    """The statement failed; the message is the engine's, one line."""


# --------------------------------------------------------------------------------------------------
# Values as text
# --------------------------------------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    """Exact plain digits with the value's own scale; never '-0'."""
    if value.is_nan():
        return "NaN"
    if value.is_infinite():
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_zero():
        value = abs(value)
    return format(value, "f")


def float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return decimal_text(Decimal(repr(value)))


def timestamp_text(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


def value_text(value: Any) -> str | None:
    """The text of one value (None for NULL), the same for the same value and type on every engine."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, datetime):
        return timestamp_text(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, UUID):
        return str(value)
    return json_text(value)


def json_text(value: Any) -> str:
    """A nested value (list, map, struct) as compact JSON: numbers as their exact text (value_text), dates and
    timestamps as JSON strings of their text, a NaN or infinite number as a string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (Decimal, float)):
        text = value_text(value) or ""
        return text if text not in ("NaN", "Infinity", "-Infinity") else json.dumps(text)
    if hasattr(value, "asDict"):  # a Spark Row: a struct
        return json_text(value.asDict(recursive=False))
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(value_text(k), ensure_ascii=False)}:{json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(json_text(item) for item in value) + "]"
    return json.dumps(value_text(value), ensure_ascii=False)


def csv_field(text: str | None) -> str:
    """One CSV field: NULL empty; text quoted when it is empty or holds a comma, a quote or a line break."""
    if text is None:
        return ""
    if text == "" or any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(out: TextIO, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """The header and the rows as CSV on `out`; the number of rows."""
    if not columns:
        return 0
    out.write(",".join(csv_field(name) for name in columns) + "\n")
    count = 0
    for row in rows:
        out.write(",".join(csv_field(value_text(value)) for value in row) + "\n")
        count += 1
    return count


# --------------------------------------------------------------------------------------------------
# The engines
# --------------------------------------------------------------------------------------------------


def run_duckdb(con: duckdb.DuckDBPyConnection, sql: str) -> Result:
    try:
        statements = con.extract_statements(sql)
        if len(statements) != 1:
            raise QueryError(f"expected one SQL statement, got {len(statements)}")
        result = con.execute(statements[0])
        description = result.description
        if not description:
            return [], []
        return [str(column[0]) for column in description], result.fetchall()
    except duckdb.Error as exc:
        raise QueryError(one_line(exc)) from None


def run_postgres(sql: str) -> Result:
    import psycopg

    with pg_connection() as pg, postgres_lock(pg):
        try:
            pg.execute("set default_transaction_read_only = on")
            cursor = pg.execute(sql)
            if cursor.description is None:
                return [], []
            return [str(column.name) for column in cursor.description], cursor.fetchall()
        except psycopg.Error as exc:
            raise QueryError(one_line(exc)) from None


def run_spark(session: SparkSession, sql: str) -> Result:
    """spark.sql(sql), collected with exact values: timestamps (an instant in Spark) as UTC microseconds, then
    UTC datetimes, so the machine's time zone never changes them."""
    from pyspark.sql import functions
    from pyspark.sql.types import TimestampType

    try:
        frame = session.sql(sql)
        fields = frame.schema.fields
        if not fields:
            frame.collect()
            return [], []
        positional = frame.toDF(*[f"c{index}" for index in range(len(fields))])
        selected = positional.select(*[
            functions.unix_micros(positional[f"c{index}"]).alias(f"c{index}")
            if isinstance(field.dataType, TimestampType) else positional[f"c{index}"]
            for index, field in enumerate(fields)
        ])  # fmt: skip
        instants = [isinstance(field.dataType, TimestampType) for field in fields]
        rows = [
            tuple(_EPOCH + timedelta(microseconds=v) if instant and v is not None else v for v, instant in zip(row, instants))
            for row in selected.collect()
        ]  # fmt: skip
        return [field.name for field in fields], rows
    except spark_error_types() as exc:
        raise QueryError(one_line(exc)) from None


def execute(target: str, sql: str, db: Path | None = None) -> Result:
    """Run `sql` on `target` under its writer lock (QueryError: the statement failed; WarehouseError: the
    warehouse cannot be reached; SystemExit: the lock was not had in time)."""
    if target == "duckdb":
        if db is None or not db.is_file():
            raise WarehouseError(f"no warehouse at {db} (ingest and build first)")
        with warehouse_lock(db):
            try:
                con = connect(db, read_only=True)
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot open the warehouse {db}: {one_line(exc)}") from None
            with con:
                return run_duckdb(con, sql)
    if target == "postgres":
        return run_postgres(sql)
    with spark_lock():
        return run_spark(spark_session(), sql)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tokenledger query",
        description="Run one SQL statement on the warehouse of a target, in its own dialect, and print the result as CSV "
        "(NULL empty, decimals exact, timestamps ISO-8601 in UTC, booleans true/false: the same text on every engine).",
    )
    parser.add_argument("sql", metavar="SQL", help="one SQL statement, in the target's dialect")
    add_target_argument(parser)
    parser.add_argument("--db", type=Path, default=None,
                        help="the DuckDB warehouse file (default: $TOKENLEDGER_DB, else warehouse/tokenledger.duckdb)")
    args = parser.parse_args(argv)
    resolve_target(parser, args)
    if not args.sql.strip():
        parser.error("the SQL statement is empty")
    try:
        columns, rows = execute(args.target, args.sql, args.db)
        write_csv(sys.stdout, columns, rows)
    except (QueryError, WarehouseError) as exc:
        print(f"query: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # the writer lock was not had within TOKENLEDGER_LOCK_WAIT
        print(f"query: {exc.code}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
