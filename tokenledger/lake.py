"""The raw landing as a Parquet lake: what `tokenledger ingest --target spark` writes and Spark's raw tables read.

    <lake>/<table>/load-<load_id>.parquet     one file per load and raw table it landed rows in
    <lake>/load_manifest/load-<load_id>.parquet   the load's manifest row: published LAST
    <lake>/load_unloads/load-<load_id>.parquet    `tokenledger unload --target spark`
    <lake>/_lock                              the writers' lock (an flock)

The lake is TOKENLEDGER_LAKE (or --lake), else warehouse/lake; a relative path is from the project root.
DuckDB parses every file in memory exactly as for the DuckDB target (ingest.ingest_file), then each load is
published: its data files first, each written by DuckDB's COPY under a hidden name (Spark and Hadoop skip
names starting with `.` or `_`) and renamed into place, then its manifest file the same way. A load exists
when its manifest row does (status `loaded`): readers trust the manifest, so data files without one (a run
killed between the two) are never counted, and the next writer removes them under the lock before it
allocates a load id (max over the manifest + 1). Timestamps are written as Parquet instants (DuckDB
TIMESTAMPTZ, the session in UTC): a Spark `timestamp` column reads them back as the same UTC wall time.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import duckdb

from tokenledger import ingest
from tokenledger.common import DEFAULT_LOCK_WAIT_SECONDS, PROJECT_ROOT, connect, file_lock

LAKE_ENV = "TOKENLEDGER_LAKE"
DEFAULT_LAKE = "warehouse/lake"
LOCK_FILE = "_lock"
MANIFEST = "load_manifest"
UNLOADS = "load_unloads"
# The tables a load's rows land in, with the column that orders a load's rows.
LOAD_TABLES = {"gateway_requests": "line_number", "jobs_export": "row_number", "source_documents": "document_number"}
LOAD_FILE = re.compile(r"^load-(\d+)\.parquet$")
TEMP_PREFIX = ".load-"  # a file being written: hidden from Spark until it is renamed


class LakeError(Exception):
    """The lake cannot be read or written (not one file's fault): the run stops with exit status 2."""


def lake_dir(option: Path | str | None = None) -> Path:
    """The lake, absolute: --lake DIR, else env TOKENLEDGER_LAKE, else warehouse/lake; relative paths are from
    the project root (as TOKENLEDGER_DB's are). dbt reads the same variable (macro create_raw_tables): pass it this."""
    raw = str(option) if option is not None else os.environ.get(LAKE_ENV, DEFAULT_LAKE)
    path = Path(raw).expanduser()
    path = path if path.is_absolute() else PROJECT_ROOT / path
    if "'" in str(path):  # the location is a SQL string literal in Spark's DDL
        raise LakeError(f"the lake path {path} must not contain a single quote")
    return Path(os.path.normpath(path))


def load_file(lake: Path, table: str, load_id: int) -> Path:
    return lake / table / f"load-{load_id:012d}.parquet"


def published(lake: Path, table: str) -> dict[int, Path]:
    """load_id -> the published file of a lake table (hidden and foreign names ignored, as Spark ignores them)."""
    folder = lake / table
    if not folder.is_dir():
        return {}
    found: dict[int, Path] = {}
    for name in os.listdir(folder):
        if (match := LOAD_FILE.match(name)) is not None:
            found[int(match.group(1))] = folder / name
    return found


def lock_wait_seconds() -> float:
    raw = os.environ.get("TOKENLEDGER_LOCK_WAIT")
    return float(raw) if raw else DEFAULT_LOCK_WAIT_SECONDS


def lake_lock(lake: Path, wait_seconds: float | None = None) -> contextlib.AbstractContextManager[None]:
    """The lake's single-writer lock: an exclusive flock on <lake>/_lock, waited for TOKENLEDGER_LOCK_WAIT seconds
    (then exit 1 with a message, as the DuckDB warehouse's lock). The kernel releases it when the process dies."""
    path = lake / LOCK_FILE
    return file_lock(
        path, lock_wait_seconds() if wait_seconds is None else wait_seconds,
        busy=f"tokenledger: the lake {lake} is busy (another ingest or unload holds {path})",
        waiting=f"tokenledger: waiting for another run to release {path} ...",
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Reading the lake into the in-memory DuckDB


def parquet_list(files: Sequence[Path]) -> str:
    return "[" + ", ".join(ingest.sql_str(str(f)) for f in files) + "]"


def mirror(con: duckdb.DuckDBPyConnection, lake: Path, *, whole_manifest: bool = False) -> None:
    """Copy what ingest_file reads of the lake into the in-memory raw tables: every `loaded` manifest row (the
    skip check), the row with the highest load_id (next_load_id) and every unload; the whole manifest when asked."""
    with ingest.readable_path(lake) as base:  # read_parquet expands * ? [ ] { } in a path
        manifests = [base / MANIFEST / f.name for f in published(lake, MANIFEST).values()]
        if manifests:
            keep = "" if whole_manifest else "where status = 'loaded' or load_id = (select max(load_id) from m)"
            con.execute(f"insert into raw.{MANIFEST} by name with m as (select * from read_parquet({parquet_list(manifests)})) "
                        f"select * from m {keep}")
        unloads = [base / UNLOADS / f.name for f in published(lake, UNLOADS).values()]
        if unloads:
            con.execute(f"insert into raw.{UNLOADS} by name select * from read_parquet({parquet_list(unloads)})")


def remove_garbage(con: duckdb.DuckDBPyConnection, lake: Path) -> list[int]:
    """Under the lock: delete what an interrupted writer left behind, i.e. hidden files being written and the data
    files of loads without a `loaded` manifest row (con holds the lake's manifest: mirror). The loads removed."""
    loaded = {int(row[0]) for row in con.execute(f"select load_id from raw.{MANIFEST} where status = 'loaded'").fetchall()}
    orphans: set[int] = set()
    for table in (*LOAD_TABLES, MANIFEST, UNLOADS):
        folder = lake / table
        if not folder.is_dir():
            continue
        for name in os.listdir(folder):
            if name.startswith(TEMP_PREFIX):
                (folder / name).unlink()
        if table in LOAD_TABLES:
            for load_id, path in published(lake, table).items():
                if load_id not in loaded:
                    path.unlink()
                    orphans.add(load_id)
    return sorted(orphans)


# ---------------------------------------------------------------------------------------------
# Writing


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_parquet(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path) -> None:
    """COPY a query to `target` atomically: written and synced under a hidden name, then renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        con.execute(f"copy ({select_sql}) to {ingest.sql_str(str(temp))} (format parquet, compression zstd)")
        fsync_path(temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    fsync_path(target.parent)


def lake_select(con: duckdb.DuckDBPyConnection, table: str, load_id: int, order: str | None = None) -> str:
    """One load's rows of an in-memory raw table, its timestamps as instants (TIMESTAMPTZ; the session is UTC)."""
    description = con.execute(f"select * from raw.{table} limit 0").description
    columns = ", ".join(f"cast({name} as timestamptz) as {name}" if str(kind) == "TIMESTAMP" else name
                        for name, kind, *_ in description)
    return f"select {columns} from raw.{table} where load_id = {int(load_id)}" + (f" order by {order}" if order else "")


def publish(lake: Path, con: duckdb.DuckDBPyConnection, outcome: ingest.Outcome) -> ingest.Outcome:
    """Land one file's outcome in the lake: its data files, then its manifest file (the commit).

    When a data file cannot be written, those already published are removed and the file is recorded as
    refused (`load failed: ...`); when its manifest file cannot be written either, the run stops (LakeError).
    The load's raw rows then leave the in-memory DuckDB (its manifest row stays, for the skip check)."""
    written: list[Path] = []
    try:
        if outcome.status == "loaded":
            for table, order in LOAD_TABLES.items():
                if con.execute(f"select count(*) from raw.{table} where load_id = ?", [outcome.load_id]).fetchone() != (0,):
                    target = load_file(lake, table, outcome.load_id)
                    write_parquet(con, lake_select(con, table, outcome.load_id, order), target)
                    written.append(target)
        publish_manifest(con, lake, outcome.load_id)
    except (duckdb.Error, OSError) as exc:
        for path in written:
            path.unlink(missing_ok=True)
        outcome = ingest.Outcome("refused", outcome.load_id, 0, f"load failed: {ingest.first_line(exc)}")
        con.execute(
            f"update raw.{MANIFEST} set rows = 0, status = 'refused', message = ?, loaded_at = ? where load_id = ?",
            [outcome.message, ingest.utc_now(), outcome.load_id],
        )
        try:
            publish_manifest(con, lake, outcome.load_id)
        except (duckdb.Error, OSError) as again:
            raise LakeError(f"cannot write the manifest: {ingest.first_line(again)}") from again
    finally:
        for table in LOAD_TABLES:
            con.execute(f"delete from raw.{table} where load_id = ?", [outcome.load_id])
    return outcome


def publish_manifest(con: duckdb.DuckDBPyConnection, lake: Path, load_id: int) -> None:
    """The load's manifest row as its own file: written last, it is what makes the load count."""
    write_parquet(con, lake_select(con, MANIFEST, load_id), load_file(lake, MANIFEST, load_id))


def publish_unload(con: duckdb.DuckDBPyConnection, lake: Path, load_id: int) -> None:
    """An unload's row (raw.load_unloads) as its own file."""
    write_parquet(con, lake_select(con, UNLOADS, load_id), load_file(lake, UNLOADS, load_id))


# ---------------------------------------------------------------------------------------------
# The commands' entry points


@contextlib.contextmanager
def open_lake(lake: Path, *, whole_manifest: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Under the lake's lock: an in-memory DuckDB with the raw tables and the lake's manifest and unloads, the
    garbage of an interrupted run removed first (reported on stderr)."""
    with lake_lock(lake):
        con = connect(":memory:")
        try:
            ingest.ensure_raw_tables(con)
            mirror(con, lake, whole_manifest=whole_manifest)
            removed = remove_garbage(con, lake)
            if removed:
                print(f"tokenledger: removed the data files of load(s) {', '.join(map(str, removed))} from the lake "
                      "(written by an interrupted run, never in its manifest)", file=sys.stderr)
            yield con
        finally:
            con.close()


def ingest_into_lake(files: Sequence[Path], tty: bool, options: ingest.Options, lake: Path) -> int:
    """--target spark: each file is ingested into an in-memory DuckDB, then published to the lake."""
    try:
        with open_lake(lake) as con:
            return ingest.ingest_all(con, files, tty, publish=partial(publish, lake, con), options=options)
    except (OSError, duckdb.Error, LakeError) as exc:
        reason = f"{exc.strerror} ({exc.filename or lake})" if isinstance(exc, OSError) and exc.strerror else ingest.first_line(exc)
        print(f"ingest: the lake {lake}: {reason}", file=sys.stderr)
        return 2
