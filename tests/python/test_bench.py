"""bench/bench.py at a tiny size: both baselines reproduce the marts' per-team monthly totals.

No timing is asserted (timings are the benchmark's business, not a test's). The run uses --quick (only the
models the monthly totals need, no data tests, no incremental step) and --no-spark (Spark against DuckDB is
tests/python/test_spark_target.py's) in a temp dir with its own dbt target.
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


def test_spark_step_sizes() -> None:
    # on by default up to 1M; --spark-size asks for larger sizes; --no-spark turns it off
    assert [bench.spark_wanted(n, 10**6, False) for n in (20_000, 10**6, 10**7)] == [True, True, False]
    assert bench.spark_wanted(10**7, 10**7, False)
    assert not bench.spark_wanted(20_000, 10**7, True)


def test_sizes_not_rerun_are_kept(tmp_path: Path) -> None:
    old = tmp_path / "RESULTS.md"
    old.write_text("# Benchmark results\n\n## Machine and versions\n\n- Date: 2026-11-23 02:06 UTC\n\n"
                   "## 10M events\n\nold 10M figures\n\n" + bench.ANALYSIS_MARKER + "\n## Analysis\n\nkept text\n")
    kept = bench.existing_sizes(old)
    assert list(kept) == ["10M"] and "old 10M figures" in kept["10M"] and "2026-11-23 02:06 UTC" in kept["10M"]
    results = {"date": "2026-12-02 20:00 UTC", "machine": {"cores": 2, "ram_gib": 1, "cpu": "x", "kernel": "y"},
               "versions": {}, "memory_limit": "8GB", "budget_minutes": None}
    step = bench.Step(1.0, 1024, 1.0, 0.0)
    small = bench.SizeResult("20k", 20_000, steps={"dbt_build": step, "spark_dbt_build": bench.Step(4.0, 2048, 4.0, 0.0)},
                             matches={"spark": True}, spark={"master": "local[2]", "driver_memory": "4g",
                                                             "shuffle_partitions": "4", "compared_with": "dbt_build"},
                             quick=True)
    text = bench.render(results, [small], bench.existing_analysis(old), kept)
    assert text.index("## 20k events (quick run)") < text.index("## 10M events") < text.index(bench.ANALYSIS_MARKER)
    assert "old 10M figures" in text and text.endswith("kept text\n")
    assert "| the quick build --target spark (models alone) | 4.0 | 1.0 | 4.00x |" in text
    assert "**equal**" in text
    # kept once more: marked once, with the date of the run the figures come from
    again = tmp_path / "AGAIN.md"
    again.write_text(text)
    assert bench.existing_sizes(again)["10M"].count("*Kept") == 1
    # a quick run does not replace a full run's figures of the same size
    assert set(bench.existing_sizes(again)) == {"10M", "20k quick"}
    # a Spark result that differs shows no ratio
    small.matches["spark"] = False
    assert "| the quick build --target spark (models alone) | 4.0 | 1.0 | n/a |" in bench.render(results, [small], "")


@pytest.mark.slow
def test_baselines_equal_the_marts_at_20k(tmp_path: Path) -> None:
    results_md = tmp_path / "RESULTS.md"
    run = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "bench.py"), "--size", "20k", "--quick",
         "--no-spark", "--work", str(tmp_path / "work"), "--results", str(results_md)],
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
