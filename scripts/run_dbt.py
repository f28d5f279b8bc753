"""Run dbt against the tokenledger warehouse while holding its single-writer lock.

    python scripts/run_dbt.py build [dbt args ...]

Same as `dbt <args> --profiles-dir profiles` from the project root, except that a second run that
overlaps (a scheduler firing while a build is still going) waits for the lock, bounded by
TOKENLEDGER_LOCK_WAIT seconds, instead of colliding with the running writer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from common import PROJECT_ROOT, default_db_path, warehouse_lock


def main(argv: list[str]) -> int:
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), *argv, "--profiles-dir", str(PROJECT_ROOT / "profiles"), "--project-dir", str(PROJECT_ROOT)]
    db = default_db_path()
    env = {**os.environ, "TOKENLEDGER_DB": str(db)}
    with warehouse_lock(db):
        return subprocess.call(command, cwd=PROJECT_ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
