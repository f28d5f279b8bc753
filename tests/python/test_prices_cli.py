"""`tokenledger prices`: `show` prints the rates in force for a model on a date (custom price or catalog) from
the built warehouse; `refresh` is the catalog re-export (its --check is in test_project_conventions)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from harness import PROJECT_ROOT, Warehouse

CUSTOM_ROWS = [
    # provider, model, match, effective_from, input, cache read, 5m, 1h, output, input audio, output audio, request, note
    ("internal", "llama-3-ft", "exact", "2026-09-01", "0.6", "0.06", "", "", "2.4", "", "", "0.002", "support cluster"),
    ("internal", "llama-", "prefix", "2026-09-01", "1", "", "", "", "1.5", "", "", "", ""),
    ("openai", "gpt-5.4-mini", "", "2026-10-10", "0.5", "", "", "", "3", "", "", "", ""),
]


@pytest.fixture(scope="module")
def priced_db(sample_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample warehouse whose loaded custom_prices.csv has CUSTOM_ROWS (staging reads it as a view)."""
    db = tmp_path_factory.mktemp("prices") / "tokenledger.duckdb"
    shutil.copy(sample_warehouse.db, db)
    with duckdb.connect(str(db)) as con:
        con.executemany("insert into seeds.custom_prices values (" + ", ".join(["nullif(?, '')"] * 13) + ")", CUSTOM_ROWS)
    return db


def prices(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tokenledger", "prices", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True)


def rates(output: str) -> dict[str, str]:
    lines = [line.strip() for line in output.splitlines() if line.startswith("  ")]
    return {label.strip(): value for label, value in (line.rsplit("  ", 1) for line in lines[1:])}


def test_help_lists_both_subcommands() -> None:
    result = prices("--help")
    assert result.returncode == 0 and "show" in result.stdout and "refresh" in result.stdout
    assert prices("show", "--help").returncode == 0
    assert prices().returncode == 2


def test_catalog_price_before_the_custom_row_and_custom_from_its_date(priced_db: Path) -> None:
    before = prices("show", "gpt-5.4-mini", "--on", "2026-10-09", "--db", str(priced_db))
    assert before.returncode == 0, before.stderr
    assert "catalog price" in before.stdout and "openai/gpt-5.4-mini" in before.stdout
    assert rates(before.stdout)["input"] == "0.75" and rates(before.stdout)["output"] == "4.5"
    after = prices("show", "GPT-5.4-mini", "--on", "2026-10-10", "--db", str(priced_db))
    assert after.returncode == 0, after.stderr
    assert "custom price" in after.stdout and "from 2026-10-10" in after.stdout
    shown = rates(after.stdout)
    # blank cache / audio rates are the input rate, blank output audio the output rate
    assert (shown["input"], shown["cache read"], shown["cache write 1h"], shown["output"], shown["output audio"]) == (
        "0.5", "0.5", "0.5", "3", "3")
    assert shown["per request (USD)"] == "0"


def test_exact_beats_prefix_for_a_model_the_catalog_does_not_know(priced_db: Path) -> None:
    exact = prices("show", "Llama-3-FT", "--provider", "internal", "--on", "2026-10-01", "--db", str(priced_db))
    assert exact.returncode == 0, exact.stderr
    assert "exact match `llama-3-ft`" in exact.stdout
    shown = rates(exact.stdout)
    assert (shown["input"], shown["cache read"], shown["output"], shown["per request (USD)"]) == ("0.6", "0.06", "2.4", "0.002")
    prefix = prices("show", "llama-2-chat", "--provider", "internal", "--on", "2026-10-01", "--db", str(priced_db))
    assert "prefix match `llama-`" in prefix.stdout and rates(prefix.stdout)["output"] == "1.5"
    early = prices("show", "llama-3-ft", "--provider", "internal", "--on", "2026-08-31", "--db", str(priced_db))
    assert early.returncode == 1 and "no price" in early.stdout


def test_a_model_neither_knows_has_no_price(priced_db: Path) -> None:
    result = prices("show", "acme-llm-7b", "--on", "2026-10-01", "--db", str(priced_db))
    assert result.returncode == 1 and "no price" in result.stdout


def test_notes_an_org_file_the_warehouse_has_not_loaded(priced_db: Path, tmp_path: Path) -> None:
    org = tmp_path / "org"
    shutil.copytree(PROJECT_ROOT / "data" / "sample" / "org", org)  # its custom_prices.csv has no row
    result = prices("show", "gpt-5.4-mini", "--on", "2026-10-10", "--db", str(priced_db), "--org", str(org))
    assert result.returncode == 0 and "rebuild to apply it" in result.stderr
