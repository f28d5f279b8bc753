"""The change logs (models/history) keep the seeds' history on every engine.

Each build appends one row per seed row that is new, changed or removed since the latest logged
version of its key; a build with the seeds unchanged appends nothing. The expected rows are computed
here from the CSV files before and after the edits, read the way staging reads them.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from harness import ORG, PgWarehouse, Warehouse, copy_project, new_warehouse

LOGS = ("hist_agent_directory_changes", "hist_people_changes", "hist_budget_changes")
BUILD = ("build", "--select", *(f"+{log}" for log in LOGS), "--indirect-selection", "cautious")
ALWAYS = date(1900, 1, 1)  # a blank effective_from: since always


def seed_id(text: str | None) -> str | None:
    """An id as staging reads it: trimmed, lower-cased, blank = NULL."""
    return (text or "").strip().lower() or None


def seed_date(text: str | None) -> date:
    return date.fromisoformat(text.strip()) if (text or "").strip() else ALWAYS


def seed_decimal(text: str | None, default: int | None = None) -> Decimal | None:
    return Decimal(text.strip()) if (text or "").strip() else (None if default is None else Decimal(default))


def read_directory(path: Path) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """key (agent, effective_from) -> the logged columns (agent, team_id, effective_from)."""
    rows = {}
    for row in csv.DictReader(path.open(encoding="utf-8")):
        logged = (seed_id(row["agent"]), seed_id(row["team_id"]), seed_date(row["effective_from"]))
        rows[(logged[0], logged[2])] = logged
    return rows


def read_budgets(path: Path) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """key (scope, scope_id, effective_from) -> the logged columns, defaults applied as in staging."""
    rows = {}
    for row in csv.DictReader(path.open(encoding="utf-8")):
        logged = (
            seed_id(row["scope"]), seed_id(row["scope_id"]), seed_date(row["effective_from"]),
            seed_decimal(row["monthly_budget_usd"]), seed_decimal(row["warn_pct"], 80),
            seed_decimal(row["critical_pct"], 100), seed_id(row["enforcement"]) or "alert",
        )  # fmt: skip
        rows[logged[:3]] = logged
    return rows


def expected_changes(before: dict, after: dict) -> set[tuple[Any, ...]]:
    """What the change log appends when the seed goes from `before` to `after` (key -> logged columns)."""
    added = {("added", *after[key]) for key in after.keys() - before.keys()}
    changed = {("changed", *after[key]) for key in after.keys() & before.keys() if after[key] != before[key]}
    removed = {("removed", *before[key]) for key in before.keys() - after.keys()}
    return added | changed | removed


COLUMNS = {
    "hist_agent_directory_changes": "agent, team_id, effective_from",
    "hist_people_changes": "email, team_id, effective_from",
    "hist_budget_changes": "scope, scope_id, effective_from, monthly_budget_usd, warn_pct, critical_pct, enforcement",
}
KEYS = {
    "hist_agent_directory_changes": "agent, effective_from",
    "hist_people_changes": "email, effective_from",
    "hist_budget_changes": "scope, scope_id, effective_from",
}


def logged_at(wh: Warehouse, log: str, recorded_at: datetime) -> set[tuple[Any, ...]]:
    return set(wh.query(f"select change_kind, {COLUMNS[log]} from history.{log} where recorded_at = ?", [recorded_at]))


def build_times(wh: Warehouse, log: str) -> list[datetime]:
    return [row[0] for row in wh.query(f"select distinct recorded_at from history.{log} order by 1")]


def as_of(wh: Warehouse, log: str, moment: datetime) -> set[tuple[Any, ...]]:
    """The seed as it was at `moment`, by the query docs/reference.md gives (History)."""
    return set(wh.query(
        f"select {COLUMNS[log]} from ("
        f" select {COLUMNS[log]}, change_kind,"
        f" row_number() over (partition by {KEYS[log]} order by recorded_at desc) as version_rank"
        f" from history.{log} where recorded_at <= ?) as versions "
        "where version_rank = 1 and change_kind <> 'removed'", [moment]))


def test_change_logs_append_each_edit_once(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    wh = new_warehouse(tmp_path / "wh", project_dir=project)
    directory, budgets, people = (project / ORG / name for name in ("agent_directory.csv", "budgets.csv", "people.csv"))
    directory_before, budgets_before = read_directory(directory), read_budgets(budgets)
    wh.dbt(*BUILD)

    # The first build logs every row as added.
    (first,) = build_times(wh, "hist_agent_directory_changes")
    assert logged_at(wh, "hist_agent_directory_changes", first) == expected_changes({}, directory_before)
    assert logged_at(wh, "hist_budget_changes", first) == expected_changes({}, budgets_before)
    people_rows = sum(1 for _ in csv.DictReader(people.open(encoding="utf-8")))
    assert wh.scalar("select count(*) from history.hist_people_changes where change_kind = 'added'") == people_rows

    # Edits: search-bot changes owner, legacy-exporter is removed, a new agent is added; search's budget rises.
    text = directory.read_text(encoding="utf-8")
    assert "search-bot,search,2026-01-01\n" in text and "legacy-exporter,platform,2025-06-01\n" in text
    text = text.replace("search-bot,search,2026-01-01\n", "search-bot,platform,2026-01-01\n")
    text = text.replace("legacy-exporter,platform,2025-06-01\n", "")
    directory.write_text(text + "release-notes,platform,2026-11-01\n", encoding="utf-8")
    text = budgets.read_text(encoding="utf-8")
    assert "team,search,2026-09-01,12,80,100,alert\n" in text
    budgets.write_text(text.replace("team,search,2026-09-01,12,80,100,alert\n", "team,search,2026-09-01,14,80,100,alert\n"),
                       encoding="utf-8")
    directory_after, budgets_after = read_directory(directory), read_budgets(budgets)
    wh.dbt(*BUILD)

    _, second = build_times(wh, "hist_agent_directory_changes")
    directory_changes = expected_changes(directory_before, directory_after)
    assert {change[0] for change in directory_changes} == {"added", "changed", "removed"}  # one of each
    assert len(directory_changes) == 3
    assert logged_at(wh, "hist_agent_directory_changes", second) == directory_changes
    assert logged_at(wh, "hist_budget_changes", second) == expected_changes(budgets_before, budgets_after)
    assert build_times(wh, "hist_people_changes") == [first]  # people.csv was not edited
    # The changed budget shows its old value (the first version) and its new one.
    assert wh.query(
        "select change_kind, monthly_budget_usd from history.hist_budget_changes "
        "where scope = 'team' and scope_id = 'search' and effective_from = ? order by recorded_at",
        [date(2026, 9, 1)]) == [("added", Decimal(12)), ("changed", Decimal(14))]

    # An unchanged rebuild appends nothing.
    counts = {log: wh.scalar(f"select count(*) from history.{log}") for log in LOGS}
    wh.dbt(*BUILD)
    assert {log: wh.scalar(f"select count(*) from history.{log}") for log in LOGS} == counts
    assert wh.scalar("select count(distinct invocation_id) from history.hist_agent_directory_changes") == 2

    # The documented as-of query gives the directory as it was after each build.
    assert as_of(wh, "hist_agent_directory_changes", first) == set(directory_before.values())
    assert as_of(wh, "hist_agent_directory_changes", second) == set(directory_after.values())
    assert as_of(wh, "hist_budget_changes", second) == set(budgets_after.values())


@pytest.mark.slow
def test_row_hashes_are_the_same_on_duckdb_and_postgres(tmp_path: Path) -> None:
    """The row hash is portable: the sample's seeds hash alike on both engines (decimals included)."""
    import pg_sandbox
    import psycopg

    duck = new_warehouse(tmp_path / "duck")
    duck.dbt(*BUILD)
    with pg_sandbox.sandbox() as server:
        with psycopg.connect(server.conninfo(), autocommit=True) as con:
            con.execute("create database history_hashes")
        (tmp_path / "pg").mkdir()
        pg = PgWarehouse(tmp_path / "pg", {}, duck.project_dir, server, "history_hashes")
        pg.dbt(*BUILD)
        for log in LOGS:
            sql = f"select {KEYS[log]}, row_hash, change_kind from history.{log}"
            assert set(pg.query(sql)) == set(duck.query(sql)), log
