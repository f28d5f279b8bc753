"""bench/bench.py at a tiny size: both baselines reproduce the marts' per-team monthly totals.

No timing is asserted (timings are the benchmark's business, not a test's). The run uses --quick (only the
models the monthly totals need, no data tests, no incremental step) in a temp dir with its own dbt target.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import bench

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_size_argument() -> None:
    assert [bench.parse_size(s) for s in ("20k", "1M", "10m", "50M", "1234")] == [20_000, 10**6, 10**7, 5 * 10**7, 1234]
    assert [bench.size_label(n) for n in (20_000, 10**6, 1234)] == ["20k", "1M", "1234"]


@pytest.mark.slow
def test_baselines_equal_the_marts_at_20k(tmp_path: Path) -> None:
    results_md = tmp_path / "RESULTS.md"
    run = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "bench.py"), "--size", "20k", "--quick",
         "--work", str(tmp_path / "work"), "--results", str(results_md)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    size = json.loads((tmp_path / "work" / "results.json").read_text())["sizes"]["20k"]
    assert size["stopped"] == ""
    assert size["matches"] == {"floor": True, "pandas": True}, size["mismatches"]
    # the generated data exercises what the baselines re-implement (and nothing they do not)
    checks = size["checks"]
    assert checks["rejected_rows"] == checks["retry_of_naming_a_retry"] == checks["time_of_day_price_sets"] == 0
    assert checks["events"] == 20_000
    for exercised in ("retry_events", "duplicate_copies", "unpriced_events", "discounted_events",
                      "batch_or_tier_variant_attempts", "attempts_over_a_price_tier"):
        assert checks[exercised] > 0, exercised
    assert all(method in checks["shared_rule_methods"] for method in ("even", "headcount", "usage", "fixed"))
    assert {"floor", "pandas", "dbt_build", "ingest_gateway", "ingest_jobs"} <= set(size["steps"])
    assert all(step["peak_rss_kb"] > 0 for step in size["steps"].values())
    # the big files are cleaned up; the report is written
    assert not (tmp_path / "work" / "20k").exists()
    assert "floor: **equal**" in results_md.read_text()
