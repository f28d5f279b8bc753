"""Shared helpers for tokenledger's scripts: paths, warehouse connection, the writer lock, money formatting.

Every script imports this module instead of copying code. Keep it small and typed.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "warehouse/tokenledger.duckdb"
# How long a second writer waits for the warehouse before giving up with a clear message.
DEFAULT_LOCK_WAIT_SECONDS = float(os.environ.get("TOKENLEDGER_LOCK_WAIT", "600"))


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


@contextlib.contextmanager
def warehouse_lock(db_path: Path | str, wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the single-writer lock of a warehouse file (an flock beside it).

    A DuckDB file has one writer at a time. Scheduled runs that overlap wait here (bounded) instead
    of failing half-way; after `wait_seconds` they exit with a clear message. The lock is released by
    the kernel when the process dies, so a killed run never leaves a stale lock behind.
    """
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        announced = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise SystemExit(
                        f"tokenledger: the warehouse {db_path} is busy (another ingest or build holds "
                        f"{path}); gave up after {wait_seconds:.0f}s"
                    ) from None
                if not announced:
                    print(f"tokenledger: waiting for another run to release {path} ...", file=sys.stderr)
                    announced = True
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
