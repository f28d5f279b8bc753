"""The second engine: the whole project on a throwaway PostgreSQL server, checked against DuckDB.

One server for the module (tools/pg_sandbox.py: initdb in a temp dir, pg_ctl on a free loopback port;
stopped and deleted at the end, also when a test fails). Two databases on it:

- the sample (data/sample plus the OTel / LiteLLM / provider-report fixtures), landed with
  `ingest.py --target postgres` and built in two steps (September's files, then the rest) so the
  incremental models' second-run SQL runs on Postgres too; the first build runs everything, unit
  tests included, the second everything but the unit tests;
- the allocation scenario of test_allocation_scenario.py (its own organisation seeds, in a project copy).

Each is built on DuckDB from the same files, and marts.fct_team_monthly_spend and
marts.fct_cost_allocations must be identical: the same keys, the same cents, and every money and share
column equal as an exact decimal (so within 1e-9 USD, as the contract asks, and in fact to the last
digit). Postgres numerics carry no fixed scale in aggregates, so values are compared as numbers.
Per-team access is proved by connecting as team roles: each sees its own rows of every team-facing
mart and nothing of another team's.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pg_sandbox
import psycopg
import pytest
from harness import PROJECT_ROOT, PgWarehouse, Warehouse, new_warehouse, normalised, sorted_rows
from test_allocation_scenario import EXPECTED_MONTHLY, ORG_SEEDS, monthly, project_with_seeds, write_jobs

pytestmark = pytest.mark.slow

SAMPLE = PROJECT_ROOT / "data" / "sample"
SOURCES = PROJECT_ROOT / "tests" / "fixtures" / "sources"
SEPTEMBER = sorted(p for p in SAMPLE.iterdir() if "2026-09" in p.name)
# The two marts the contract names, with their primary keys; then the other marts compared as a bonus.
CONTRACT_MARTS = {"fct_team_monthly_spend": ("month", "team_id"), "fct_cost_allocations": ("allocation_key",)}
OTHER_MARTS = (
    "fct_usage_events", "rpt_chargeback_monthly", "rpt_chargeback_by_dimension", "rpt_chargeback_by_model_agent",
    "fct_budget_status", "fct_invoice_reconciliation", "focus_cost_and_usage", "fct_provider_usage_daily",
    "fct_usage_coverage", "fct_savings_events", "rpt_savings_opportunities", "rpt_team_benchmarks",
)  # fmt: skip  (not published_team_monthly_spend: it keeps what the first build published, by design)
TEAM_FACING = (
    "fct_team_monthly_spend", "fct_cost_allocations", "published_team_monthly_spend", "rpt_chargeback_monthly",
    "rpt_chargeback_by_dimension", "rpt_chargeback_by_model_agent", "rpt_provider_costs_by_team",
    "fct_savings_events", "rpt_savings_opportunities", "rpt_team_benchmarks",
)  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[pg_sandbox.Server]:
    with pg_sandbox.sandbox() as running:
        yield running


def pg_warehouse(server: pg_sandbox.Server, root: Path, database: str, project_dir: Path = PROJECT_ROOT) -> PgWarehouse:
    with psycopg.connect(server.conninfo(), autocommit=True) as con:
        con.execute(f"create database {database}")
    root.mkdir(parents=True, exist_ok=True)
    return PgWarehouse(root, {}, project_dir, server, database)


@pytest.fixture(scope="module")
def sample_pair(server: pg_sandbox.Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, PgWarehouse]:
    tmp = tmp_path_factory.mktemp("postgres_sample")
    duck = new_warehouse(tmp / "duckdb")
    duck.ingest(*SEPTEMBER)  # the same loads in the same order as on Postgres: the same load ids (lineage)
    duck.ingest(SAMPLE, SOURCES)
    duck.dbt("build", "--exclude-resource-type", "unit_test")

    pg = pg_warehouse(server, tmp / "postgres", "sample")
    pg.ingest(*SEPTEMBER)
    pg.dbt("build")  # seeds, snapshots, models, data tests and unit tests, all on Postgres
    pg.ingest(SAMPLE, SOURCES)  # September's files are skipped, the rest land
    pg.dbt("build", "--exclude-resource-type", "unit_test")  # the incremental path
    return duck, pg


@pytest.fixture(scope="module")
def scenario_pair(server: pg_sandbox.Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, PgWarehouse]:
    tmp = tmp_path_factory.mktemp("postgres_scenario")
    project = project_with_seeds(tmp, ORG_SEEDS)
    jobs = write_jobs(tmp / "jobs-2026-05-06.csv")
    duck = new_warehouse(tmp / "duckdb", project_dir=project)
    duck.ingest(jobs)
    duck.dbt("build", "--exclude-resource-type", "unit_test")
    pg = pg_warehouse(server, tmp / "postgres", "scenario", project_dir=project)
    pg.ingest(jobs)
    pg.dbt("build", "--exclude-resource-type", "unit_test")
    return duck, pg


def columns(wh: Warehouse, table: str) -> list[str]:
    return [
        row[0] for row in wh.query(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?"
            " order by ordinal_position", [table])
    ]  # fmt: skip


def assert_contract_marts_identical(duck: Warehouse, pg: PgWarehouse) -> None:
    for table, key in CONTRACT_MARTS.items():
        names = columns(duck, table)
        assert [n for n in names if n not in columns(pg, table)] == [], f"{table}: columns missing on Postgres"
        expected = {tuple(r[names.index(k)] for k in key): r for r in sorted_rows(duck, table, names)}
        actual = {tuple(r[names.index(k)] for k in key): r for r in sorted_rows(pg, table, names)}
        assert expected, f"{table} is empty: nothing was compared"
        assert sorted(map(str, actual)) == sorted(map(str, expected)), f"{table}: different keys"
        for k, duck_row in expected.items():
            for name, d, p in zip(names, duck_row, actual[k], strict=True):
                if isinstance(d, Decimal) and isinstance(p, Decimal):
                    assert abs(d - p) <= Decimal("1e-9"), f"{table} {k} {name}: {d} (DuckDB) vs {p} (Postgres)"
                    if name.endswith("_cents"):
                        assert d == p, f"{table} {k} {name}: {d} cents vs {p} cents"
                    assert d == p, f"{table} {k} {name}: {d} vs {p} (equal to 1e-9, not exactly)"
                else:
                    assert d == p, f"{table} {k} {name}: {d!r} (DuckDB) vs {p!r} (Postgres)"


def test_sample_contract_marts_are_identical_on_both_engines(sample_pair: tuple[Warehouse, PgWarehouse]) -> None:
    duck, pg = sample_pair
    assert_contract_marts_identical(duck, pg)
    # the month totals, worked from the cents: both engines publish the same invoice lines
    totals = "select cast(month as varchar), sum(cost_cents) from marts.fct_team_monthly_spend group by 1 order by 1"
    assert pg.query(totals) == [(m, int(c)) for m, c in duck.query(totals)]


@pytest.mark.parametrize("table", OTHER_MARTS)
def test_sample_other_marts_are_identical_on_both_engines(sample_pair: tuple[Warehouse, PgWarehouse], table: str) -> None:
    duck, pg = sample_pair
    names = columns(duck, table)
    expected = sorted_rows(duck, table, names)
    assert sorted_rows(pg, table, names) == expected


def test_sample_covers_every_source_on_postgres(sample_pair: tuple[Warehouse, PgWarehouse]) -> None:
    """The Postgres build parsed all four kinds of input (not a vacuous comparison of empty marts)."""
    _, pg = sample_pair
    sources = {row[0] for row in pg.query("select distinct source from marts.fct_usage_events")}
    assert {"gateway", "jobs", "otel", "litellm"} <= sources
    assert pg.scalar("select count(*) from marts.fct_provider_usage_daily") > 0


def test_scenario_contract_marts_are_identical_and_match_the_hand_totals(
    scenario_pair: tuple[Warehouse, PgWarehouse],
) -> None:
    duck, pg = scenario_pair
    assert_contract_marts_identical(duck, pg)
    assert {
        month: {team: tuple(normalised(v) for v in values) for team, values in teams.items()}
        for month, teams in monthly(pg).items()
    } == {
        month: {team: tuple(normalised(v) for v in values) for team, values in teams.items()}
        for month, teams in EXPECTED_MONTHLY.items()
    }


def connect_as(pg: PgWarehouse, role: str) -> psycopg.Connection[Any]:
    """Give a role LOGIN and a password (as the administrator would), then connect as it."""
    password = f"pw-{role}"
    with psycopg.connect(pg.conninfo(), autocommit=True) as admin:
        admin.execute(f'alter role "{role}" login password \'{password}\'')
    return psycopg.connect(pg.conninfo(user=role, password=password))


def test_a_team_role_reads_only_its_own_rows(sample_pair: tuple[Warehouse, PgWarehouse]) -> None:
    duck, pg = sample_pair
    teams = {row[0] for row in duck.query("select distinct team_id from marts.fct_team_monthly_spend")}
    assert {"search", "finance"} <= teams
    for team in ("search", "finance"):
        with connect_as(pg, f"team_{team}") as con:
            for table in TEAM_FACING:
                seen = con.execute(f"select team_id, count(*) from marts.{table} group by 1").fetchall()
                expected = duck.query(f"select team_id, count(*) from marts.{table} where team_id = ? group by 1", [team])
                assert seen == [(t, int(n)) for t, n in expected], f"team_{team} on {table}"
                # asking for another team's rows by name returns nothing
                other = "finance" if team == "search" else "search"
                assert con.execute(f"select count(*) from marts.{table} where team_id = %s", [other]).fetchone() == (0,)


def test_a_team_role_cannot_read_the_marts_that_are_not_team_facing(sample_pair: tuple[Warehouse, PgWarehouse]) -> None:
    _, pg = sample_pair
    with connect_as(pg, "team_search") as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute("select count(*) from marts.fct_usage_events")


def test_every_team_has_a_role_and_the_analyst_group_reads_every_row(sample_pair: tuple[Warehouse, PgWarehouse]) -> None:
    duck, pg = sample_pair
    teams = {row[0] for row in duck.query("select team_id from marts.dim_teams")}
    roles = {row[0] for row in pg.query("select rolname from pg_roles where rolname like 'team\\_%'")}
    assert {f"team_{t}" for t in teams} <= roles
    with psycopg.connect(pg.conninfo(), autocommit=True) as admin:
        admin.execute("create role finance_analyst login password 'pw-analyst' in role tokenledger_analyst")
    with psycopg.connect(pg.conninfo(user="finance_analyst", password="pw-analyst")) as con:
        for table in (*TEAM_FACING, "fct_usage_events"):
            (count,) = con.execute(f"select count(*) from marts.{table}").fetchone()  # type: ignore[misc]
            assert count == duck.scalar(f"select count(*) from marts.{table}"), table


def test_run_dbt_waits_for_the_postgres_writer_lock(sample_pair: tuple[Warehouse, PgWarehouse]) -> None:
    """tokenledger dbt --target postgres takes the warehouse's advisory lock (the one ingest takes)."""
    import subprocess

    from tokenledger.common import PG_LOCK_KEY

    _, pg = sample_pair
    command = [sys.executable, "-m", "tokenledger", "dbt", "parse", "--target", "postgres",
               "--target-path", str(pg.root / "target-locked")]  # fmt: skip
    with psycopg.connect(pg.conninfo(), autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", [PG_LOCK_KEY])
        blocked = subprocess.run(command, env={**pg.env(), "TOKENLEDGER_LOCK_WAIT": "1"}, capture_output=True, text=True)
        assert blocked.returncode == 1
        assert "the Postgres warehouse is busy" in blocked.stderr
        holder.execute("select pg_advisory_unlock(%s)", [PG_LOCK_KEY])
    assert subprocess.run(command, env={**pg.env(), "TOKENLEDGER_LOCK_WAIT": "5"}, capture_output=True).returncode == 0


# Two team ids longer than a Postgres name allows that share their first 58 bytes, and a multibyte one.
LONG_TEAM_IDS = ("x" * 58 + "-alpha-team", "x" * 58 + "-beta-team", "équipe-" + "é" * 40)


def test_a_team_role_sees_no_org_wide_totals_or_other_teams_weights(sample_pair: tuple[Warehouse, PgWarehouse]) -> None:
    """share_of_month reveals the org total and total_weight / share / the event's cost the other
    participants' spend: team readers get every other column of those marts, not these."""
    duck, pg = sample_pair
    hidden = {
        "fct_team_monthly_spend": ("share_of_month",),
        "rpt_chargeback_monthly": ("share_of_month",),
        "fct_cost_allocations": ("share", "total_weight", "event_cost_usd", "event_list_cost_usd"),
    }
    with connect_as(pg, "team_search") as con:
        for table, names in hidden.items():
            for name in names:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    con.execute(f"select {name} from marts.{table}")
                con.rollback()
            visible = [n for n in columns(duck, table) if n not in names]
            own = con.execute(f"select {', '.join(visible)} from marts.{table}").fetchall()
            expected = duck.query(f"select {', '.join(visible)} from marts.{table} where team_id = 'search'")
            assert sorted(map(str, (tuple(map(normalised, r)) for r in own))) == sorted(
                map(str, (tuple(map(normalised, r)) for r in expected))), table
    # the analyst group still reads them
    assert pg.scalar("select count(share_of_month) from marts.fct_team_monthly_spend") > 0


def test_team_roles_are_collision_free_and_idempotent_for_any_team_id(
    server: pg_sandbox.Server, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Ids past Postgres's 63-byte names get a hashed role (never a truncated one), so two ids with one
    58-byte prefix get two roles, the second build changes nothing, and each role maps to its own team."""
    tmp = tmp_path_factory.mktemp("postgres_long_team_ids")
    extra_teams = "".join(f'"{team}",Team {n},CC-9{n},,\n' for n, team in enumerate(LONG_TEAM_IDS))
    project = project_with_seeds(tmp, {**ORG_SEEDS, "teams.csv": ORG_SEEDS["teams.csv"] + extra_teams})
    pg = pg_warehouse(server, tmp / "postgres", "long_team_ids", project_dir=project)
    for _ in range(2):
        pg.dbt("build", "--select", "+dim_teams", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    mapping = dict(pg.query("select team_id, role_name from tl_engine.team_roles"))
    assert set(LONG_TEAM_IDS) <= set(mapping)
    roles = [mapping[team] for team in LONG_TEAM_IDS]
    assert len(set(roles)) == len(roles)
    for team, role in zip(LONG_TEAM_IDS, roles, strict=True):
        assert len(role.encode()) <= 63 and role.startswith("teamh_"), role
        assert pg.scalar("select count(*) from pg_roles where rolname = ?", [role]) == 1
        with connect_as(pg, role) as con:
            assert con.execute("select tl_engine.current_team_id()").fetchone() == (team,)
    assert mapping["search"] == "team_search"

