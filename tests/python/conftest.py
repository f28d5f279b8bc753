"""Shared fixtures: warehouses built once per session and reused by the tests that read them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import PROJECT_ROOT, Warehouse, new_warehouse

_REPORT: list[str] = []


def report(line: str) -> None:
    """A line for the end-of-run summary (e.g. the oracle's counts)."""
    _REPORT.append(line)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _REPORT:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The bundled sample ingested and fully built: seeds, models, data tests and unit tests."""
    wh = new_warehouse(tmp_path_factory.mktemp("sample"))
    wh.ingest(PROJECT_ROOT / "data" / "sample")  # exactly what `make run` does
    wh.dbt("build")
    yield wh


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return PROJECT_ROOT / "data" / "sample"



PLATFORM_SOURCES = PROJECT_ROOT / "tests" / "fixtures" / "platform_sources"


@pytest.fixture(scope="session")
def platform_sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Every fixture under tests/fixtures/platform_sources (one folder per source: AWS Bedrock invocation
    logs, Langfuse exports, ...) ingested into one warehouse and built once, without the unit tests (the
    sample's build runs those). Each source's test module reads it.

    The organisation is the sample's, plus the data rows of each source folder's `org_rows/<file>.csv`
    (a header and rows, appended to the sample's file of that name: e.g. the api_keys an IAM role maps
    to). Files that are meant to be refused are refused whole; the others land."""
    tmp = tmp_path_factory.mktemp("platform_sources")
    org = tmp / "org"
    shutil.copytree(PROJECT_ROOT / "data" / "sample" / "org", org)
    for rows in sorted(PLATFORM_SOURCES.glob("*/org_rows/*.csv")):
        lines = rows.read_text(encoding="utf-8").splitlines()[1:]
        target = org / rows.name
        text = target.read_text(encoding="utf-8")
        target.write_text(text + ("" if text.endswith("\n") else "\n") + "".join(f"{line}\n" for line in lines),
                          encoding="utf-8")
    wh = new_warehouse(tmp / "wh", TOKENLEDGER_ORG=str(org))
    files = sorted(p for p in PLATFORM_SOURCES.rglob("*")
                   if p.is_file() and p.suffix != ".md" and "org_rows" not in p.parts)
    if files:
        wh.ingest(*files, check=False)
    wh.dbt("build", "--exclude-resource-type", "unit_test")
    yield wh
