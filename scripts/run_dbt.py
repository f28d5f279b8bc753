"""Run dbt against the tokenledger warehouse while holding its single-writer lock.

    python scripts/run_dbt.py build [dbt args ...]

Same as `dbt <args> --profiles-dir profiles` from the project root, except that a second run that
overlaps (a scheduler firing while a build is still going) waits for the lock, bounded by
TOKENLEDGER_LOCK_WAIT seconds, instead of colliding with the running writer. With `--target postgres`
the lock is the Postgres warehouse's advisory lock (the one `ingest.py --target postgres` takes): two
overlapping builds would otherwise drop and rename the same relations.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from common import PROJECT_ROOT, default_db_path, pg_conninfo, postgres_lock, warehouse_lock


def target(argv: list[str]) -> str | None:
    """The --target / -t argument of a dbt command line, if any."""
    for i, arg in enumerate(argv):
        if arg in ("--target", "-t") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--target="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str]) -> int:
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), *argv, "--profiles-dir", str(PROJECT_ROOT / "profiles"), "--project-dir", str(PROJECT_ROOT)]
    db = default_db_path()
    env = {**os.environ, "TOKENLEDGER_DB": str(db)}
    if target(argv) == "postgres":
        import psycopg

        with psycopg.connect(pg_conninfo(), autocommit=True) as con, postgres_lock(con):
            return subprocess.call(command, cwd=PROJECT_ROOT, env=env)
    with warehouse_lock(db):
        return subprocess.call(command, cwd=PROJECT_ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
