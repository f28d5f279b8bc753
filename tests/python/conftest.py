"""Shared fixtures: warehouses built once per session and reused by the tests that read them."""

from __future__ import annotations

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
