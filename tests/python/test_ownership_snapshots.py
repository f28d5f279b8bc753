"""The snapshots keep the seeds' history: a backdated edit of the agent directory stays visible.

Also: the type-2 dimensions answer "who owned it when", and an event keeps the owner in force at
its own date, whatever the directory says today.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from harness import ORG, Warehouse, copy_project, new_warehouse


def test_backdated_directory_edit_is_kept_by_the_snapshot(tmp_path: Path, sample_dir: Path) -> None:
    project = copy_project(tmp_path / "project")
    wh = new_warehouse(tmp_path / "wh", project_dir=project)
    wh.ingest(sample_dir)
    wh.dbt("build", "--select", "+snap_agent_directory", "+fct_cost_allocations", "--indirect-selection", "cautious")
    before = wh.scalar("select team_id from intermediate.int_usage_events_attributed where event_id = 'req_edge_owner_change_before'")
    assert before == "platform"

    # Backdate infra-oncall's move to search from 2026-10-15 to 2026-10-01 (an edit after the fact).
    directory = project / ORG / "agent_directory.csv"
    directory.write_text(directory.read_text().replace("infra-oncall,search,2026-10-15", "infra-oncall,search,2026-10-01"))
    wh.dbt("build", "--select", "+snap_agent_directory", "+fct_cost_allocations", "--indirect-selection", "cautious")

    versions = wh.query(
        "select effective_from, team_id, dbt_valid_to is null as is_current from snapshots.snap_agent_directory "
        "where agent = 'infra-oncall' order by effective_from, dbt_valid_from")
    # The first build saw the move on 2026-10-15; the edit invalidated it and added 2026-10-01.
    assert versions == [
        (date(2026, 1, 1), "platform", True),
        (date(2026, 10, 1), "search", True),
        (date(2026, 10, 15), "search", False),
    ]
    # The marts follow the directory as it is now: the 2026-10-14 event moved to search.
    after = wh.scalar("select team_id from intermediate.int_usage_events_attributed where event_id = 'req_edge_owner_change_before'")
    assert after == "search"


def test_events_join_ownership_as_of_their_date(sample_warehouse: Warehouse) -> None:
    rows = dict(sample_warehouse.query(
        "select event_id, team_id from intermediate.int_usage_events_attributed "
        "where event_id in ('req_edge_owner_change_before', 'req_edge_owner_change_after', "
        "'req_edge_person_moved_before', 'req_edge_person_moved_after')"))
    assert rows == {
        "req_edge_owner_change_before": "platform",  # infra-oncall owned by platform until 2026-10-14
        "req_edge_owner_change_after": "search",  # owned by search from 2026-10-15
        "req_edge_person_moved_before": "platform",  # carol in platform until 2026-10-19
        "req_edge_person_moved_after": "search",  # carol in search from 2026-10-20
    }
    current = sample_warehouse.query(
        "select team_id, valid_from, valid_to, is_current from marts.dim_agent_ownership where agent = 'infra-oncall' order by valid_from")
    assert current == [("platform", date(2026, 1, 1), date(2026, 10, 15), False), ("search", date(2026, 10, 15), None, True)]


def test_a_mistyped_seed_value_is_named_by_a_test(tmp_path: Path) -> None:
    """A date written 15/10/2026 in the directory fails the build with a test naming the column,
    instead of a raw conversion error (or, worse, being read as 'since always')."""
    project = copy_project(tmp_path / "project")
    directory = project / ORG / "agent_directory.csv"
    directory.write_text(directory.read_text().replace("infra-oncall,search,2026-10-15", "infra-oncall,search,15/10/2026"))
    wh = new_warehouse(tmp_path / "wh", project_dir=project)
    result = wh.dbt("build", "--select", "agent_directory", "stg_org__agent_directory", check=False)
    assert result.returncode != 0
    assert "tl_castable_agent_directory_effective_from" in result.stdout
    assert "FAIL 1" in result.stdout
