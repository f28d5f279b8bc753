"""Shared helpers of the tokenledger commands: paths, warehouse connection, the writer lock, money formatting.

The Postgres warehouse (the `postgres` dbt target): where it is (pg_conninfo, from TOKENLEDGER_PG_*) and
its writer lock (postgres_lock). psycopg is only imported by the commands that talk to Postgres.

The Spark warehouse (the `spark` dbt target): its session settings (spark_settings, the profile's
server_side_parameters rendered from TOKENLEDGER_SPARK_*), its directories (spark_warehouse_dir,
spark_metastore_dir) and its writer lock (spark_lock). pyspark is only imported by the commands that
talk to Spark.

Every command imports this module instead of copying code. Keep it small and typed.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import hashlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import yaml

if TYPE_CHECKING:
    import psycopg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILES_FILE = PROJECT_ROOT / "profiles" / "profiles.yml"
# How long a second writer waits for the warehouse before giving up with a clear message.
DEFAULT_LOCK_WAIT_SECONDS = float(os.environ.get("TOKENLEDGER_LOCK_WAIT", "600"))
_ENV_VAR_CALL = re.compile(r"""env_var\(\s*'([A-Z0-9_]+)'\s*,\s*'([^']*)'\s*\)""")
_ENV_VAR_EXPRESSION = re.compile(r"""\{\{\s*env_var\(\s*'([A-Z0-9_]+)'\s*,\s*'([^']*)'\s*\)\s*\}\}""")


def read_yaml(path: Path) -> Any:
    """A YAML file, parsed safely with libyaml when PyYAML has it (~10x faster than the pure-Python parser)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def _profile_output(target: str) -> dict[str, Any]:
    """One output of the dbt profile (profiles/profiles.yml): the single home of connection defaults."""
    profile = read_yaml(PROFILES_FILE)
    output: dict[str, Any] = profile["tokenledger"]["outputs"][target]
    return output


def _env_default(value: object) -> tuple[str, str]:
    """The (environment variable, default) of a profile value written as {{ env_var('VAR', 'default') }}."""
    match = _ENV_VAR_CALL.search(str(value))
    if match is None:
        raise ValueError(f"{PROFILES_FILE}: {value!r} is not an env_var('VAR', 'default') call")
    return match.group(1), match.group(2)


_DUCKDB_OUTPUT = _profile_output("duckdb")
_POSTGRES_OUTPUT = _profile_output("postgres")
DEFAULT_DB = _env_default(_DUCKDB_OUTPUT["path"])[1]
# The Postgres warehouse: libpq keyword -> (environment variable, default), read from profiles.yml's `postgres`.
PG_ENV = {key: _env_default(_POSTGRES_OUTPUT[key]) for key in ("host", "port", "user", "password", "dbname")}
PG_CONNECT_TIMEOUT_SECONDS = int(_POSTGRES_OUTPUT["connect_timeout"])
# The advisory lock key of tokenledger's writer lock on Postgres (pg_advisory_lock(bigint)): b"tokenled".
PG_LOCK_KEY = int.from_bytes(b"tokenled", "big")
# The Spark warehouse's locations: environment variables whose values are paths (relative ones are from the
# project root), with their defaults from profiles.yml's `spark` output.
SPARK_WAREHOUSE_VAR = "TOKENLEDGER_SPARK_WAREHOUSE"
SPARK_METASTORE_VAR = "TOKENLEDGER_SPARK_METASTORE"
SPARK_PATH_VARS = (SPARK_WAREHOUSE_VAR, SPARK_METASTORE_VAR)


def file_name_part(text: str, limit: int = 80) -> str:
    """Text made safe as part of a file name: letters, digits, '.', '_' and '-' only (anything else '_'),
    no leading dot, at most `limit` characters; a short hash of the original is appended whenever the
    text had to change, so two different team ids never name the same file."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip(".")[:limit]
    if safe == text and safe:
        return safe
    return f"{safe}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


def last_build_problem(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why the marts cannot be trusted, from the last dbt build / run / test (raw.build_runs, written by the
    on-run-end hook): it had errors, error-severity test failures or skipped nodes. None when it was clean
    (warnings are fine) or when no build has been recorded (a warehouse built before the record existed)."""
    exists = con.execute("select count(*) from information_schema.tables where table_schema = 'raw' "
                         "and table_name = 'build_runs'").fetchone()
    if not exists or not exists[0]:
        return None
    row = con.execute("select command, finished_at, errors, failures, skipped from raw.build_runs "
                      "order by finished_at desc limit 1").fetchone()
    if row is None or not (row[2] or row[3] or row[4]):
        return None
    command, finished_at, errors, failures, skipped = row
    return (f"the last dbt {command} ({finished_at:%Y-%m-%d %H:%M} UTC) ended with {errors} error(s), "
            f"{failures} failed test(s) and {skipped} skipped node(s): the marts may be stale; fix it and rebuild")


# The bundled sample: its usage exports (data/sample) and its organisation folder (data/sample/org).
SAMPLE_DATA = PROJECT_ROOT / "data" / "sample"
SAMPLE_ORG = SAMPLE_DATA / "org"
# A directory holding this file is an organisation folder (tokenledger init writes it): ingest skips it.
ORG_MARKER = ".tokenledger-org"


def org_dir(option: Path | str | None = None) -> Path:
    """The organisation folder, absolute: --org DIR, else env TOKENLEDGER_ORG, else the sample's (data/sample/org).

    A relative --org or TOKENLEDGER_ORG is relative to the current directory (dbt, run without this command,
    reads TOKENLEDGER_ORG relative to the project directory)."""
    raw = option if option is not None else os.environ.get("TOKENLEDGER_ORG")
    return Path(raw).resolve() if raw else SAMPLE_ORG.resolve()


def dbt_org_path(org: Path, project: Path = PROJECT_ROOT) -> str:
    """The organisation folder as dbt must see it (TOKENLEDGER_ORG for dbt): a path relative to the project.

    dbt writes each seed's compiled SQL under target/ at the seed's path joined to target/run/<project>/; an
    absolute seed path would make that the seed file itself. A folder outside the project is reached through
    a symlink, .tokenledger/orgs/<hash of its path>, so two organisations never share one."""
    org, project = org.resolve(), project.resolve()
    if org.is_relative_to(project):
        return str(org.relative_to(project)) or "."
    links = project / ".tokenledger" / "orgs"
    links.mkdir(parents=True, exist_ok=True)
    link = links / hashlib.sha256(str(org).encode("utf-8")).hexdigest()[:16]
    if not (link.is_symlink() and link.resolve() == org):
        temporary = link.with_name(f"{link.name}.{os.getpid()}")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(org, target_is_directory=True)
        temporary.replace(link)
    return str(link.relative_to(project))


def add_org_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", type=Path, default=None, metavar="DIR",
                        help="the organisation folder (default: $TOKENLEDGER_ORG, else the sample's data/sample/org)")


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The first column of a query's first row (None when it returns no row)."""
    row = con.execute(sql, params or []).fetchone()
    return None if row is None else row[0]


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    """A query's first row (an aggregate always has one); an empty result is an error."""
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise ValueError(f"no row from: {sql.strip().splitlines()[0]}")
    return row


def default_db_path() -> Path:
    """The warehouse file: env TOKENLEDGER_DB, else warehouse/tokenledger.duckdb (relative to the project root)."""
    raw = os.environ.get("TOKENLEDGER_DB", DEFAULT_DB)
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


def connect(db_path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with the session pinned to UTC (months never depend on the machine's zone)."""
    path = Path(db_path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    return con


def _spark_parameters() -> dict[str, str]:
    """The `spark` output's server_side_parameters as written in profiles.yml (values as text)."""
    parameters = _profile_output("spark").get("server_side_parameters") or {}
    return {str(key): str(value) for key, value in parameters.items()}


def _spark_defaults() -> dict[str, str]:
    """Every env_var('VAR', 'default') the `spark` output's parameters name: VAR -> default."""
    defaults: dict[str, str] = {}
    for value in _spark_parameters().values():
        for match in _ENV_VAR_EXPRESSION.finditer(value):
            defaults.setdefault(match.group(1), match.group(2))
    return defaults


def _spark_env(var: str, default: str) -> str:
    """A TOKENLEDGER_SPARK_* value: the environment's, else the profile's default; a location made absolute
    (relative to the project root, as dbt, run from the project root, reads it)."""
    value = os.environ.get(var) or default
    if var in SPARK_PATH_VARS:
        path = Path(value)
        return str(path if path.is_absolute() else PROJECT_ROOT / path)
    return value


def spark_settings() -> dict[str, str]:
    """The Spark session's settings: the profile's `spark` server_side_parameters with every
    {{ env_var('VAR', 'default') }} replaced by the environment's value (else the default), the warehouse
    and metastore locations absolute. The same settings dbt-spark's session uses for a build."""

    def render(value: str) -> str:
        rendered = _ENV_VAR_EXPRESSION.sub(lambda m: _spark_env(m.group(1), m.group(2)), value)
        if "{{" in rendered or "{%" in rendered:
            raise ValueError(f"{PROFILES_FILE}: spark parameter {value!r} is not plain text or env_var('VAR', 'default')")
        return rendered

    return {key: render(value) for key, value in _spark_parameters().items()}


def spark_environment() -> dict[str, str]:
    """TOKENLEDGER_SPARK_WAREHOUSE and TOKENLEDGER_SPARK_METASTORE, absolute: given to dbt so that a build and
    the commands that read the Spark warehouse find the same tables and metastore whatever their directory."""
    defaults = _spark_defaults()
    return {var: _spark_env(var, defaults[var]) for var in SPARK_PATH_VARS if var in defaults}


def spark_warehouse_dir() -> Path:
    """The Spark warehouse directory (spark.sql.warehouse.dir): env TOKENLEDGER_SPARK_WAREHOUSE, else the profile's."""
    return Path(spark_environment()[SPARK_WAREHOUSE_VAR])


def spark_metastore_dir() -> Path:
    """The Spark warehouse's embedded Derby metastore: env TOKENLEDGER_SPARK_METASTORE, else the profile's."""
    return Path(spark_environment()[SPARK_METASTORE_VAR])


def spark_lock_path() -> Path:
    """The Spark warehouse's writer lock file: <warehouse directory>.lock, beside the directory."""
    return lock_path(spark_warehouse_dir())


def spark_label() -> str:
    """The Spark warehouse for messages: its warehouse directory."""
    return f"spark:{spark_warehouse_dir()}"


def pg_settings() -> dict[str, str]:
    """The Postgres warehouse's host, port, user, password and dbname: env TOKENLEDGER_PG_*, else the defaults."""
    return {key: os.environ.get(var, default) for key, (var, default) in PG_ENV.items()}


def pg_conninfo() -> str:
    """A libpq connection string for the Postgres warehouse (pg_settings, connect_timeout 10 s).

    An empty password is left out, so that libpq's own PGPASSWORD / ~/.pgpass still apply.
    """
    settings = {key: value for key, value in pg_settings().items() if value or key != "password"}
    settings["connect_timeout"] = str(PG_CONNECT_TIMEOUT_SECONDS)
    return " ".join(f"{key}={_libpq_quote(value)}" for key, value in settings.items())


def pg_label() -> str:
    """The Postgres warehouse for messages, without the password: user@host:port/dbname."""
    s = pg_settings()
    return f"{s['user']}@{s['host']}:{s['port']}/{s['dbname']}"


def _libpq_quote(value: str) -> str:
    """A conninfo value in single quotes, backslash and quote escaped (libpq's rules)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def money(value: Decimal | None) -> str:
    """USD for people: cents rounded half-up (as the published cents are); None reads 'unpriced'."""
    if value is None:
        return "unpriced"
    return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def money_signed(value: Decimal) -> str:
    """A change in USD for people, sign first: '+$1.23', '-$0.04', '$0.00' (cents rounded half-up)."""
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if cents == 0:
        return "$0.00"
    return f"{'+' if cents > 0 else '-'}${abs(cents):,}"


def percent(value: Decimal | float | int | None, *, floor: bool = False, signed: bool = False, none: str = "n/a") -> str:
    """A percentage for people, always one decimal: '12.3%' (rounded half-up), '+4.0%' when signed.

    floor=True truncates instead (toward minus infinity), for a budget's utilisation: the figure shown
    never reaches a threshold (80.0%, 100.0%) that the status, computed on the exact value, did not."""
    if value is None:
        return none
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR if floor else ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never '-0.0%'
    return f"{'+' if signed and rounded > 0 else ''}{rounded}%"


def cents_to_dollars(cents: int) -> Decimal:
    """Integer cents as exact dollars with two decimals: 744 -> Decimal('7.44'), -123 -> Decimal('-1.23')."""
    return Decimal(cents).scaleb(-2)


def round_cents(value: Decimal) -> int:
    """A dollar amount in whole cents, rounded half-up (away from zero), as the marts round month totals."""
    return int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# A spreadsheet evaluates a cell that starts with one of these as a formula (CSV / formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text for a spreadsheet cell that cannot run as a formula (OWASP CSV injection advice).

    A value starting with =, +, -, @, tab or carriage return gets a leading single quote, so Excel,
    LibreOffice and Sheets show it as text instead of evaluating it; anything else is unchanged.
    Only for text: numbers (negative ones included) are written as numbers, never through this.
    """
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def month_arg(text: str) -> date:
    """argparse type for --month: 'YYYY-MM' -> the month's first day."""
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(text)
        return date(int(year), int(month), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from None


def lock_path(db_path: Path | str) -> Path:
    return Path(str(db_path) + ".lock")


def _wait_for_lock(try_lock: Callable[[], bool], wait_seconds: float, busy: str, waiting: str) -> None:
    """Call try_lock every 0.2 s until it succeeds; announce the wait once on stderr (`waiting`); after
    `wait_seconds`, exit with status 1 and the message `busy; gave up after <n>s`."""
    deadline = time.monotonic() + wait_seconds
    announced = False
    while not try_lock():
        if time.monotonic() >= deadline:
            raise SystemExit(f"{busy}; gave up after {wait_seconds:.0f}s")
        if not announced:
            print(waiting, file=sys.stderr)
            announced = True
        time.sleep(0.2)


@contextlib.contextmanager
def file_lock(path: Path, wait_seconds: float, busy: str, waiting: str) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if absent), waiting for it at most `wait_seconds`
    (_wait_for_lock: `waiting` once on stderr, then exit 1 with `busy`). The kernel releases the lock when
    the process dies, so a killed run never leaves a stale lock behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:

        def try_flock() -> bool:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                return False
            return True

        _wait_for_lock(try_flock, wait_seconds, busy=busy, waiting=waiting)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def warehouse_lock(db_path: Path | str, wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS) -> contextlib.AbstractContextManager[None]:
    """Hold the single-writer lock of a warehouse file (an flock beside it).

    A DuckDB file has one writer at a time. Scheduled runs that overlap wait here (bounded) instead
    of failing half-way; after `wait_seconds` they exit with a clear message. The lock is released by
    the kernel when the process dies, so a killed run never leaves a stale lock behind.
    """
    path = lock_path(db_path)
    return file_lock(
        path, wait_seconds,
        busy=f"tokenledger: the warehouse {db_path} is busy (another ingest or build holds {path})",
        waiting=f"tokenledger: waiting for another run to release {path} ...",
    )  # fmt: skip


def spark_lock(wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS) -> contextlib.AbstractContextManager[None]:
    """Hold the Spark warehouse's single-writer lock: an flock on spark_lock_path() (warehouse_lock's rules).

    The embedded Derby metastore admits one JVM at a time: a build (dbt-spark's session), a lake ingest and
    every command that reads the Spark warehouse each hold this lock while their JVM has the metastore open,
    so overlapping runs wait (bounded by `wait_seconds`) instead of failing to boot the metastore."""
    return warehouse_lock(spark_warehouse_dir(), wait_seconds)


@contextlib.contextmanager
def postgres_lock(con: psycopg.Connection[Any], wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold tokenledger's writer lock on the Postgres warehouse: the session advisory lock PG_LOCK_KEY.

    The Postgres counterpart of warehouse_lock, on `con` (an autocommit connection, kept open for the
    run): overlapping runs wait, polling pg_try_advisory_lock, and after `wait_seconds` exit with a
    clear message. The server releases the lock when the session ends, so a killed run leaves none.
    """

    def try_advisory_lock() -> bool:
        row = con.execute("select pg_try_advisory_lock(%s)", [PG_LOCK_KEY]).fetchone()
        return bool(row and row[0])

    where = f"advisory lock {PG_LOCK_KEY} on {pg_label()}"
    _wait_for_lock(
        try_advisory_lock, wait_seconds,
        busy=f"tokenledger: the Postgres warehouse is busy (another ingest or build holds {where})",
        waiting=f"tokenledger: waiting for another run to release {where} ...",
    )  # fmt: skip
    try:
        yield
    finally:
        if not con.closed:  # a lost connection has released it already
            con.execute("select pg_advisory_unlock(%s)", [PG_LOCK_KEY])
