"""`tokenledger unload`: take a load out of the ledger, recorded with who, when and why.

    tokenledger unload LOAD_ID --reason TEXT [--by NAME] [--db PATH]
    tokenledger unload LOAD_ID --reason TEXT [--by NAME] --target postgres
    tokenledger unload LOAD_ID --reason TEXT [--by NAME] --target spark [--lake DIR]

The load's raw rows are never deleted: the unload is one row in raw.load_unloads (load_id, unloaded_at,
unloaded_by, unload_reason), written under the warehouse's writer lock like an ingest (Spark: one Parquet file
in the lake's load_unloads folder, under the lake's lock: tokenledger/lake.py). The next build
leaves the load out of staging and reprocesses every month its rows had reached, so its marts equal a
build that never saw the load (macros/incremental/unloaded_loads.sql). A closed month's published lines
never move: the month is recomputed without the load and the difference is listed in
audit.restatement_candidates until a restatement is approved. audit.unloaded_loads lists every unload.

Idempotent: unloading a load already unloaded changes nothing (exit 0). Re-ingesting the same file later
is skipped as unloaded unless `tokenledger ingest --reload` (docs/ingest.md).

Exit status: 0 unloaded (or already unloaded), 1 no such load (or a skipped or refused file, which landed
nothing), 2 usage error or the warehouse cannot be opened or reached.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from tokenledger.common import connect, default_db_path, pg_conninfo, pg_label, postgres_lock, warehouse_lock

# What the unload reads of the manifest: the file's `loaded` row.
LOAD_SQL = (
    "select file_path, format, rows, status from raw.load_manifest where load_id = {p} "
    "order by case when status = 'loaded' then 0 else 1 end limit 1"
)
UNLOAD_SQL = "select unloaded_at, unloaded_by, unload_reason from raw.load_unloads where load_id = {p} limit 1"
INSERT_SQL = "insert into raw.load_unloads (load_id, unloaded_at, unloaded_by, unload_reason) values ({p}, {p}, {p}, {p})"
# The closed months the load had reached, when a build has recorded them (int_load_months).
CLOSED_TOUCHED_SQL = (
    "select distinct strftime(m.month, '%Y-%m') from intermediate.int_load_months m "
    "inner join staging.stg_org__closed_months c on m.month = c.month where m.load_id = ? order by 1"
)


def default_user() -> str:
    """Who unloads when --by is not given: $USER, else the login name, else 'unknown'."""
    with contextlib.suppress(Exception):
        return os.environ.get("USER") or getpass.getuser()
    return "unknown"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Ledger:
    """The few statements the unload runs, on DuckDB or Postgres (placeholders differ: ? and %s)."""

    def __init__(self, execute: Any, placeholder: str) -> None:
        self._execute = execute
        self._p = placeholder

    def one(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        row = self._execute(sql.format(p=self._p), params).fetchone()
        return None if row is None else tuple(row)

    def all(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._execute(sql.format(p=self._p), params).fetchall()]

    def run(self, sql: str, params: list[Any]) -> None:
        self._execute(sql.format(p=self._p), params)


def unload(ledger: Ledger, load_id: int, reason: str, by: str, closed_touched: list[str] | None) -> tuple[int, str]:
    """Record the unload of `load_id`; (exit status, the one-line message)."""
    load = ledger.one(LOAD_SQL, [load_id])
    if load is None:
        return 1, f"unload: no load {load_id} in the load manifest (raw.load_manifest)"
    file_path, file_format, rows, status = load
    if status != "loaded":
        return 1, f"unload: load {load_id} ({file_path}) was {status}, not loaded: it landed no rows, nothing to unload"
    previous = ledger.one(UNLOAD_SQL, [load_id])
    if previous is not None:
        at, who, why = previous
        return 0, f"unload: load {load_id} ({file_path}) is already unloaded (by {who} at {at:%Y-%m-%d %H:%M} UTC: {why}); nothing changed"
    ledger.run(INSERT_SQL, [load_id, utc_now(), by, reason])
    message = (f"unloaded load {load_id} ({file_path}, {file_format}, {rows} rows) by {by}: {reason}. "
               "Run `tokenledger build` to take it out of the marts")
    if closed_touched:
        message += (f"; it reached closed month(s) {', '.join(closed_touched)}: their published lines stay, the change "
                    "will be listed in audit.restatement_candidates")
    return 0, message


def closed_months_touched(con: duckdb.DuckDBPyConnection, load_id: int) -> list[str] | None:
    """The closed months a load had reached, from the last build's tables; None when they are not built yet."""
    try:
        return [row[0] for row in con.execute(CLOSED_TOUCHED_SQL, [load_id]).fetchall()]
    except duckdb.Error:
        return None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tokenledger unload",
        description="Take a load out of the ledger: recorded in raw.load_unloads with who, when and why (its raw rows "
        "stay). The next build leaves it out; a closed month's published lines never move (the change is a "
        "restatement candidate). Idempotent.",
    )
    parser.add_argument("load_id", type=int, metavar="LOAD_ID", help="the load (raw.load_manifest.load_id; ingest prints it)")
    parser.add_argument("--reason", required=True, metavar="TEXT", help="why the load is taken out (recorded; required)")
    parser.add_argument("--by", default=None, metavar="NAME", help="who unloads (recorded; default: $USER)")
    parser.add_argument(
        "--target", choices=("duckdb", "postgres", "spark"), default="duckdb",
        help="the warehouse engine (default: duckdb); postgres is reached through $TOKENLEDGER_PG_*; spark writes "
        "to the Parquet lake",
    )  # fmt: skip
    parser.add_argument(
        "--lake", type=Path, default=None, metavar="DIR",
        help="--target spark: the Parquet lake (default: $TOKENLEDGER_LAKE, else warehouse/lake)",
    )  # fmt: skip
    parser.add_argument(
        "--db", type=Path, default=None, metavar="PATH", help="warehouse file (default: $TOKENLEDGER_DB, else warehouse/tokenledger.duckdb)"
    )
    args = parser.parse_args(argv)
    if not args.reason.strip():
        parser.error("--reason must say why the load is unloaded")
    if args.by is not None and not args.by.strip():
        parser.error("--by must name who unloads")
    if args.target != "duckdb" and args.db is not None:
        parser.error(f"--db is the DuckDB warehouse file: it cannot be combined with --target {args.target}")
    if args.target != "spark" and args.lake is not None:
        parser.error("--lake is the Spark target's Parquet lake: it needs --target spark")
    return args


def report(status: int, message: str) -> int:
    print(message, file=sys.stdout if status == 0 else sys.stderr)
    return status


def unload_duckdb(db: Path, load_id: int, reason: str, by: str) -> int:
    if not db.exists():
        print(f"unload: no warehouse at {db} (nothing has been ingested)", file=sys.stderr)
        return 2
    try:
        with warehouse_lock(db):
            con = connect(db)
            try:
                from tokenledger.ingest import ensure_raw_tables

                ensure_raw_tables(con)  # a warehouse from before raw.load_unloads existed gains it
                # Read before the transaction: on a warehouse not built yet the query fails, which would abort it.
                touched = closed_months_touched(con, load_id)
                con.begin()
                status, message = unload(Ledger(con.execute, "?"), load_id, reason, by, touched)
                con.commit()
            finally:
                con.close()
    except (duckdb.Error, OSError) as exc:
        print(f"unload: cannot open the warehouse {db}: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    return report(status, message)


def unload_postgres(load_id: int, reason: str, by: str) -> int:
    import psycopg

    from tokenledger.ingest import postgres_ddl

    try:
        pg = psycopg.connect(pg_conninfo(), autocommit=True)
    except psycopg.Error as exc:
        print(f"unload: cannot reach the Postgres warehouse {pg_label()}: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    try:
        with pg, postgres_lock(pg):
            for statement in postgres_ddl():
                pg.execute(statement)
            with pg.transaction():
                status, message = unload(Ledger(pg.execute, "%s"), load_id, reason, by, None)
    except psycopg.Error as exc:
        print(f"unload: Postgres warehouse {pg_label()}: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    return report(status, message)


def unload_lake(lake_option: Path | None, load_id: int, reason: str, by: str) -> int:
    """--target spark: the lake's manifest and unloads read into an in-memory DuckDB, the unload row published."""
    from tokenledger import lake

    try:
        where = lake.lake_dir(lake_option)
    except lake.LakeError as exc:
        print(f"unload: {exc}", file=sys.stderr)
        return 2
    if not (where / lake.MANIFEST).is_dir():
        print(f"unload: no lake at {where} (nothing has been ingested)", file=sys.stderr)
        return 2
    try:
        with lake.open_lake(where, whole_manifest=True) as con:
            status, message = unload(Ledger(con.execute, "?"), load_id, reason, by, None)
            if status == 0 and load_id not in lake.published(where, lake.UNLOADS):
                lake.publish_unload(con, where, load_id)
    except (duckdb.Error, OSError) as exc:
        print(f"unload: the lake {where}: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    return report(status, message)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    by = args.by.strip() if args.by else default_user()
    reason = " ".join(args.reason.split())  # one line in the record and in messages
    if args.target == "postgres":
        return unload_postgres(args.load_id, reason, by)
    if args.target == "spark":
        return unload_lake(args.lake, args.load_id, reason, by)
    return unload_duckdb(args.db if args.db is not None else default_db_path(), args.load_id, reason, by)


if __name__ == "__main__":
    sys.exit(main())
