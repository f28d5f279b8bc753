"""Scheduled runs that overlap or die: two real processes on one warehouse file.

- A build holds the warehouse: an ingest with a short wait gives up with a clear one-line message
  (exit 1, nothing landed); a second build with a long wait queues behind it and completes.
- A build killed half-way (SIGKILL to its process group, DuckDB mid-write) leaves a warehouse that
  the next run opens and completes; the marts then equal a clean build's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import PROJECT_ROOT, Warehouse, new_warehouse

TOTALS = "select month, team_id, cost_usd, cost_cents from marts.fct_team_monthly_spend order by 1, 2"


class Run:
    """A script started in its own process group; its output goes to files (a full pipe would block it)."""

    def __init__(self, wh: Warehouse, script: str, *args: str, wait: str) -> None:
        env = {**wh.env(), "TOKENLEDGER_LOCK_WAIT": wait}
        stem = wh.root / f"{script}-{time.monotonic_ns()}"
        self.out_path, self.err_path = stem.with_suffix(".out"), stem.with_suffix(".err")
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "tokenledger", script, *args], cwd=PROJECT_ROOT, env=env,
                                            stdout=out, stderr=err, text=True, start_new_session=True)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    @property
    def out(self) -> str:
        return self.out_path.read_text()

    @property
    def err(self) -> str:
        return self.err_path.read_text()


def start(wh: Warehouse, script: str, *args: str, wait: str) -> Run:
    return Run(wh, script, *args, wait=wait)


def wait_for_lock_holder(wh: Warehouse, timeout: float = 60) -> None:
    """Until some process holds the warehouse lock (the build has started)."""
    import fcntl

    lock = Path(str(wh.db) + ".lock")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock.exists():
            with open(lock, "a+") as handle:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                except OSError:
                    return
        time.sleep(0.1)
    raise AssertionError("the build never took the warehouse lock")


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    wh = new_warehouse(tmp_path_factory.mktemp("operations"))
    wh.ingest(PROJECT_ROOT / "data" / "sample")
    return wh


def test_overlapping_runs_wait_or_give_up_cleanly(landed: Warehouse, sample_warehouse: Warehouse, tmp_path: Path) -> None:
    first = start(landed, "dbt", "build", "--target-path", str(tmp_path / "t1"), wait="5")
    wait_for_lock_holder(landed)
    extra = tmp_path / "extra.csv"
    extra.write_text((PROJECT_ROOT / "data" / "sample" / "jobs-export-2026-10.csv").read_text(encoding="utf-8")
                     .replace("job_", "extra_job_"), encoding="utf-8")
    refused = start(landed, "ingest", str(extra), wait="1")
    second = start(landed, "dbt", "build", "--target-path", str(tmp_path / "t2"), wait="900")
    assert refused.wait(timeout=120) == 1
    assert "is busy" in refused.err and "gave up after 1s" in refused.err
    assert first.wait(timeout=1800) == 0, first.out[-3000:]
    assert second.wait(timeout=1800) == 0, second.out[-3000:]
    assert "waiting for another run" in second.err
    assert landed.scalar("select count(*) from raw.load_manifest where file_path like '%extra.csv'") == 0
    assert landed.query(TOTALS) == sample_warehouse.query(TOTALS)


def test_a_killed_build_is_completed_by_the_next_run(landed: Warehouse, sample_warehouse: Warehouse, tmp_path: Path) -> None:
    victim = start(landed, "dbt", "build", "--full-refresh", "--target-path", str(tmp_path / "t1"), wait="60")
    wait_for_lock_holder(landed)
    time.sleep(12)  # well into the models
    assert victim.process.poll() is None, "the build finished before it could be killed"
    os.killpg(victim.process.pid, signal.SIGKILL)
    victim.wait(timeout=60)
    rerun = start(landed, "dbt", "build", "--target-path", str(tmp_path / "t2"), wait="60")
    assert rerun.wait(timeout=1800) == 0, rerun.out[-3000:]
    assert landed.query(TOTALS) == sample_warehouse.query(TOTALS)


def test_a_build_that_spills_to_disk_completes(tmp_path: Path) -> None:
    """A build over memory_limit spills to TOKENLEDGER_TEMP_DIR and completes with 2 threads.

    Regression: the temp directory used to be a dbt-duckdb `setting`, re-applied on every new cursor,
    and DuckDB refuses to switch the temp directory once a query has spilled ("Cannot switch temporary
    directory after the current one has been used"): the 10M bench build failed that way. It is now a
    config option, set once when the database opens. 1M events under a 300MB limit make the dedupe and
    the union spill (the same build fails with the old profile).
    """
    data = tmp_path / "data"
    subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "generate_events.py"), "--events", "1000000",
                    "--months", "1", "--seed", "3", "--start", "2026-09-01", "--out", str(data)],
                   check=True, capture_output=True)
    wh = new_warehouse(tmp_path / "wh", TOKENLEDGER_MEMORY_LIMIT="300MB", TOKENLEDGER_TEMP_DIR=str(tmp_path / "spill"))
    wh.ingest(data)
    result = wh.dbt("build", "--full-refresh", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test",
                    "--select", "+int_usage_attempts_unioned", check=False)
    assert "Cannot switch temporary directory" not in result.stdout
    assert result.returncode == 0, result.stdout[-3000:]
    assert wh.scalar("select count(*) from intermediate.int_usage_attempts_unioned") > 900_000
