"""`tokenledger unload` end to end: three dbt builds in all.

Warehouse AB: the bundled sample (A: four files, loads 1-4), then B (load 5: a Jobs export with new jobs in
closed September, open October and a November only B feeds, plus a newer copy of one of A's October jobs,
which wins the dedupe while B is in the ledger). Built, B unloaded, built again. Warehouse A: the sample
only, built once. Every marts relation of AB then equals A's, every column, except
published_team_monthly_spend: AB published September (closed) with B in it, and published lines never
move; the difference is AB's restatement candidate instead. For the same reason the confidence mix is
compared on its ledger basis only (its published basis is read from the published lines).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from harness import PROJECT_ROOT, Warehouse, new_warehouse
from test_worked_example import job, write_jobs

SAMPLE = PROJECT_ROOT / "data" / "sample"
PUBLISHED = "select * from marts.published_team_monthly_spend order by month, publication_version, team_id"
# The one relation of the marts schema that differs by design (published lines never move; see the module doc).
NOT_COMPARED = {"published_team_monthly_spend"}
# Relations compared on part of their rows: the rest derive from the published lines.
COMPARED_ROWS = {"rpt_confidence_mix_monthly": "basis = 'ledger'"}


def unload(wh: Warehouse, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tokenledger", "unload", "--db", str(wh.db), *args],
                          cwd=PROJECT_ROOT, env=wh.env(), capture_output=True, text=True)


def an_october_job() -> str:
    """The id of one of the sample's October jobs (B carries a newer, bigger copy of it)."""
    with (SAMPLE / "jobs-export-2026-10.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = ({key.lower(): value for key, value in row.items()} for row in csv.DictReader(handle))  # Title_Case header
        return next(row["job_id"] for row in rows if row["created_at"].startswith("2026-10-1"))


def write_b(path: Path) -> Path:
    rows = [job(f"b-sep-{i}", "search", 200_000, 50_000, created_at="2026-09-28T09:00:00Z") for i in range(3)]
    rows += [job(f"b-oct-{i}", "support", 150_000, 50_000, created_at="2026-10-20T09:00:00Z") for i in range(3)]
    rows += [job(f"b-nov-{i}", "search", 100_000, 10_000, created_at="2026-11-03T09:00:00Z") for i in range(2)]
    rows.append(job(an_october_job(), "platform", 900_000, 90_000, created_at="2026-10-15T09:00:00Z"))
    return write_jobs(path, rows)


def marts_relations(wh: Warehouse) -> list[str]:
    return [r[0] for r in wh.query("select table_name from information_schema.tables where table_schema = 'marts' "
                                   "order by 1")]


def contents(wh: Warehouse, relation: str) -> list[tuple[Any, ...]]:
    where = f" where {COMPARED_ROWS[relation]}" if relation in COMPARED_ROWS else ""
    rows = wh.query(f"select * from marts.{relation}{where}")
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def unloaded(tmp_path_factory: pytest.TempPathFactory, sample_warehouse: Warehouse) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("unload")
    b_file = write_b(tmp / "jobs-b.csv")
    ab = new_warehouse(tmp / "ab")
    ab.ingest(SAMPLE)
    loaded = ab.ingest(b_file).stdout
    ab.dbt("build", "--exclude-resource-type", "unit_test")  # the unit tests run in the sample's build
    stages: dict[str, Any] = {"ab": ab, "b_loaded": loaded, "b_file": b_file}
    stages["b_load_id"] = ab.scalar("select load_id from raw.load_manifest where file_name = 'jobs-b.csv'")
    stages["published_before"] = ab.query(PUBLISHED)
    stages["b_months_before"] = ab.query(
        "select distinct month from marts.fct_usage_events where first_load_id = ? order by 1", [stages["b_load_id"]])
    stages["first"] = unload(ab, str(stages["b_load_id"]), "--reason", "duplicate export of the November run",
                             "--by", "ops@corp.example")
    stages["second"] = unload(ab, str(stages["b_load_id"]), "--reason", "again")
    stages["unknown"] = unload(ab, "999", "--reason", "no such load")
    stages["reingest"] = ab.ingest(b_file).stdout
    stages["skipped_id"] = ab.scalar("select max(load_id) from raw.load_manifest")
    stages["skipped_unload"] = unload(ab, str(stages["skipped_id"]), "--reason", "a skipped file")
    ab.dbt("build", "--exclude-resource-type", "unit_test")
    stages["published_after"] = ab.query(PUBLISHED)
    stages["a"] = sample_warehouse  # the sample alone, ingested and built (conftest): a warehouse that never saw B
    return stages


def test_unload_records_who_when_and_why(unloaded: dict[str, Any]) -> None:
    first = unloaded["first"]
    b = unloaded["b_load_id"]
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"unloaded load {b} (")
    assert "duplicate export of the November run" in first.stdout and "tokenledger build" in first.stdout
    assert "closed month(s) 2026-09" in first.stdout  # the first build had seen B reach September
    ab = unloaded["ab"]
    rows = ab.query("select load_id, unloaded_by, unload_reason, unloaded_at is not null from raw.load_unloads")
    assert rows == [(b, "ops@corp.example", "duplicate export of the November run", True)]
    manifest = ab.query("select status, unloaded_by, unload_reason from staging.stg_ingest__load_manifest "
                        "where load_id = ?", [b])
    assert manifest == [("loaded", "ops@corp.example", "duplicate export of the November run")]


def test_a_second_unload_is_a_no_op(unloaded: dict[str, Any]) -> None:
    second = unloaded["second"]
    assert second.returncode == 0, second.stderr
    assert "already unloaded" in second.stdout and "nothing changed" in second.stdout
    assert unloaded["ab"].scalar("select count(*) from raw.load_unloads") == 1


def test_unknown_or_empty_loads_are_refused(unloaded: dict[str, Any]) -> None:
    unknown = unloaded["unknown"]
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "unload: no load 999 in the load manifest (raw.load_manifest)"
    skipped = unloaded["skipped_unload"]
    assert skipped.returncode == 1
    assert "was skipped, not loaded" in skipped.stderr


def test_reingesting_unloaded_bytes_is_skipped(unloaded: dict[str, Any]) -> None:
    b = unloaded["b_load_id"]
    assert f"unloaded as load {b} (by ops@corp.example" in unloaded["reingest"]
    assert "pass --reload to load it again" in unloaded["reingest"]


def test_marts_equal_a_warehouse_that_never_loaded_b(unloaded: dict[str, Any]) -> None:
    ab, a = unloaded["ab"], unloaded["a"]
    assert [m.isoformat() for (m,) in unloaded["b_months_before"]] == ["2026-09-01", "2026-10-01", "2026-11-01"]
    relations = marts_relations(ab)
    assert relations == marts_relations(a)
    assert {"fct_usage_events", "fct_team_monthly_spend", "fct_cost_allocations"} <= set(relations)
    different = [r for r in relations if r not in NOT_COMPARED and contents(ab, r) != contents(a, r)]
    assert not different, f"marts that still differ after the unload: {different}"
    # B had reached three months; November is fed by B alone and is empty again.
    assert ab.scalar("select count(*) from marts.fct_usage_events where month = '2026-11-01'") == 0


def test_a_closed_month_keeps_its_published_lines_and_lists_a_candidate(unloaded: dict[str, Any]) -> None:
    ab, a = unloaded["ab"], unloaded["a"]
    assert unloaded["published_after"] == unloaded["published_before"]
    # 3 x (200k x $2.50/M + 50k x $15/M) = $3.75 of B's September search jobs, published, now gone.
    candidates = ab.query("select month, team_id, delta_usd from audit.restatement_candidates")
    assert [(m.isoformat(), t, d) for m, t, d in candidates] == [("2026-09-01", "search", Decimal("-3.75"))]
    assert a.scalar("select count(*) from audit.restatement_candidates") == 0
    audit = ab.query("select load_id, file_name, rows, unloaded_by, unload_reason, months_touched, months_touched_list, "
                     "touches_closed_month, closed_months_touched from audit.unloaded_loads")
    assert audit == [(unloaded["b_load_id"], "jobs-b.csv", 9, "ops@corp.example", "duplicate export of the November run",
                      3, "2026-09, 2026-10, 2026-11", True, "2026-09")]


def test_a_load_can_be_unloaded_before_the_first_build(tmp_path: Path) -> None:
    """No marts yet (the closed months a load reached cannot be read): the unload is still recorded."""
    wh = new_warehouse(tmp_path / "unbuilt")
    wh.ingest(SAMPLE / "jobs-export-2026-09.csv")
    result = unload(wh, "1", "--reason", "landed by mistake", "--by", "ops@corp.example")
    assert result.returncode == 0, result.stdout + result.stderr
    assert wh.query("select load_id, unloaded_by, unload_reason from raw.load_unloads") == [
        (1, "ops@corp.example", "landed by mistake")
    ]
