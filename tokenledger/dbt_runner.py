"""Run dbt against the tokenledger warehouse while holding its single-writer lock.

    tokenledger dbt build [dbt args ...]

Same as `dbt <args> --profiles-dir profiles` from the project root (with TOKENLEDGER_ORG, the organisation
folder, as a path relative to the project: common.dbt_org_path), except that a second run that
overlaps (a scheduler firing while a build is still going) waits for the lock, bounded by
TOKENLEDGER_LOCK_WAIT seconds, instead of colliding with the running writer. With `--target postgres`
the lock is the Postgres warehouse's advisory lock (the one `tokenledger ingest --target postgres` takes): two
overlapping builds would otherwise drop and rename the same relations. With `--target spark` it is the
Spark warehouse's lock file (common.spark_lock: `<TOKENLEDGER_SPARK_WAREHOUSE>.lock`, beside the warehouse
directory), as the embedded Derby metastore admits one JVM at a time; dbt is given TOKENLEDGER_SPARK_WAREHOUSE
and TOKENLEDGER_SPARK_METASTORE as absolute paths (relative ones are from the project root), so a build
and the commands that read the Spark warehouse meet the same tables and metastore. Without --target the
target is env DBT_TARGET (which dbt reads too), else the profile's default, duckdb.

SIGTERM and SIGINT are forwarded to dbt (which runs in its own session, so a terminal's Ctrl-C reaches
it once, through here); the lock is released only after dbt has exited, so a run started right after
the signal never meets a dbt that still has the warehouse open. If dbt has not exited
TOKENLEDGER_DBT_STOP_WAIT seconds (default 60) after the signal it is killed. A run stopped by a signal
exits 128 + the signal number (143 for SIGTERM, 130 for SIGINT). A runner killed outright (SIGKILL,
which cannot be forwarded) takes dbt with it (Linux's parent-death signal).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from tokenledger.common import (
    PROJECT_ROOT,
    dbt_org_path,
    default_db_path,
    org_dir,
    pg_conninfo,
    postgres_lock,
    spark_environment,
    spark_lock,
    warehouse_lock,
)


def target(argv: list[str]) -> str | None:
    """The --target / -t argument of a dbt command line, if any."""
    for i, arg in enumerate(argv):
        if arg in ("--target", "-t") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--target="):
            return arg.split("=", 1)[1]
    return None


def effective_target(argv: list[str]) -> str:
    """The target dbt will use: --target / -t, else env DBT_TARGET, else the profile's default (duckdb)."""
    return target(argv) or os.environ.get("DBT_TARGET") or "duckdb"


FORWARDED = (signal.SIGTERM, signal.SIGINT)
PR_SET_PDEATHSIG = 1  # prctl(2): the signal the child gets when its parent dies


def die_with_parent() -> None:
    """In the dbt child (Linux): be killed when this runner dies, even by SIGKILL, which cannot be
    forwarded. dbt runs in its own session, so a SIGKILL to the runner's process group would otherwise
    leave it running, with the warehouse open, after the lock is gone."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # not Linux: signals are still forwarded
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def run_forwarding_signals(command: list[str], env: dict[str, str]) -> int:
    """Run dbt, forward SIGTERM / SIGINT to it, and return only once it has exited (the caller holds the lock)."""
    received: list[int] = []
    stop_wait = float(os.environ.get("TOKENLEDGER_DBT_STOP_WAIT", "60"))

    def forward(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if child.poll() is None:
            child.send_signal(signum)

    child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, start_new_session=True, preexec_fn=die_with_parent)
    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED}
    deadline: float | None = None
    try:
        while True:
            try:
                code = child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if received and deadline is None:
                    deadline = time.monotonic() + stop_wait
                elif deadline is not None and time.monotonic() > deadline:  # dbt ignored the signal
                    print(f"tokenledger dbt: dbt did not stop {stop_wait:.0f}s after the signal; killing it", file=sys.stderr)
                    child.kill()
                    deadline = float("inf")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        print(f"tokenledger dbt: stopped by {signal.Signals(received[0]).name}; dbt exited ({code})", file=sys.stderr)
        return 128 + received[0]
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), *argv, "--profiles-dir", str(PROJECT_ROOT / "profiles"), "--project-dir", str(PROJECT_ROOT)]
    db = default_db_path()
    env = {**os.environ, "TOKENLEDGER_DB": str(db), "TOKENLEDGER_ORG": dbt_org_path(org_dir()), **spark_environment()}
    engine = effective_target(argv)
    if engine == "postgres":
        import psycopg

        with psycopg.connect(pg_conninfo(), autocommit=True) as con, postgres_lock(con):
            return run_forwarding_signals(command, env)
    if engine == "spark":
        with spark_lock():
            return run_forwarding_signals(command, env)
    with warehouse_lock(db):
        return run_forwarding_signals(command, env)


if __name__ == "__main__":
    raise SystemExit(main())
