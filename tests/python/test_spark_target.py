"""The distributed engine: the whole project on local Apache Spark (dbt-spark, session method), checked
against DuckDB to the last decimal.

Two warehouses on Spark, each from raw files landed as a Parquet lake with `tokenledger ingest --target
spark` and built with `dbt --target spark` (Spark in the dbt process, local mode: the engine and SQL a
cluster runs):

- the sample (data/sample plus the OTel / LiteLLM / provider-report fixtures), built in two steps
  (September's files, then the rest) so that the second run takes the incremental path on Spark: the
  base parsers append the new loads only, the monthly facts overwrite just the month partitions they
  rebuild. The first build runs the seeds and models, the second the models and then the data tests of
  the contract marts (a few minutes in all). With TOKENLEDGER_SPARK_FULL=1 the first build is the
  whole `dbt build` instead: every data test and unit test on Spark (about a quarter of an hour);
- the allocation scenario of test_allocation_scenario.py (its own organisation, in a project copy),
  whose team-months are also the hand-worked totals.

The same files are built on DuckDB, and the contract marts (fct_usage_events, fct_cost_allocations,
fct_team_monthly_spend, fct_budget_status, rpt_chargeback_monthly) must hold the same rows: every key,
every cent, every money column equal as an exact decimal. The Spark tables are read straight from their
Parquet files (harness.SparkWarehouse.query), with no JVM in the test process.

Needs the Spark extra (`make setup-spark`: dbt-spark, pyspark, Java 17); skipped with a one-line reason
without it.
"""

from __future__ import annotations

import os
import random
from decimal import Decimal
from pathlib import Path

import pytest
from harness import PROJECT_ROOT, SparkWarehouse, Warehouse, new_warehouse, normalised, sorted_rows, spark_unavailable
from test_allocation_scenario import EXPECTED_MONTHLY, ORG_SEEDS, monthly, project_with_seeds, write_jobs

_UNAVAILABLE = spark_unavailable()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(_UNAVAILABLE is not None, reason=_UNAVAILABLE or "")]

SAMPLE = PROJECT_ROOT / "data" / "sample"
SOURCES = PROJECT_ROOT / "tests" / "fixtures" / "sources"
SEPTEMBER = sorted(p for p in SAMPLE.iterdir() if "2026-09" in p.name)
# The contract marts with their primary keys.
CONTRACT_MARTS = {
    "fct_usage_events": ("event_id",),
    "fct_cost_allocations": ("allocation_key",),
    "fct_team_monthly_spend": ("month", "team_id"),
    "fct_budget_status": ("month", "scope", "scope_id"),
    "rpt_chargeback_monthly": ("month", "team_id"),
}
# Compared as a bonus: every row equal (the tables; focus_cost_and_usage is a view, which has no files).
OTHER_MARTS = (
    "rpt_chargeback_by_dimension", "rpt_chargeback_by_model_agent", "fct_invoice_reconciliation",
    "fct_provider_usage_daily", "fct_usage_coverage", "fct_savings_events",
    "rpt_savings_opportunities", "rpt_team_benchmarks",
)  # fmt: skip


def spark_warehouse(root: Path, project_dir: Path = PROJECT_ROOT) -> SparkWarehouse:
    root.mkdir(parents=True, exist_ok=True)
    return SparkWarehouse(root, {}, project_dir)


@pytest.fixture(scope="module")
def sample_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, SparkWarehouse]:
    tmp = tmp_path_factory.mktemp("spark_sample")
    duck = new_warehouse(tmp / "duckdb")
    duck.ingest(*SEPTEMBER)  # the same loads in the same order on both engines: the same load ids (lineage)
    duck.ingest(SAMPLE, SOURCES)
    duck.dbt("build", "--exclude-resource-type", "unit_test")

    spark = spark_warehouse(tmp / "spark")
    spark.ingest(*SEPTEMBER)
    if os.environ.get("TOKENLEDGER_SPARK_FULL"):
        spark.dbt("build")  # seeds, models, data tests and unit tests, all on Spark
    else:
        spark.dbt("build", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test")
    spark.ingest(SAMPLE, SOURCES)  # September's files are skipped, the rest land
    spark.dbt("run")  # the incremental path
    spark.dbt("test", "--select", *CONTRACT_MARTS, "--exclude-resource-type", "unit_test")
    return duck, spark


@pytest.fixture(scope="module")
def scenario_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, SparkWarehouse]:
    tmp = tmp_path_factory.mktemp("spark_scenario")
    project = project_with_seeds(tmp, ORG_SEEDS)
    jobs = write_jobs(tmp / "jobs-2026-05-06.csv")
    duck = new_warehouse(tmp / "duckdb", project_dir=project)
    duck.ingest(jobs)
    duck.dbt("build", "--exclude-resource-type", "unit_test")
    spark = spark_warehouse(tmp / "spark", project_dir=project)
    spark.ingest(jobs)
    spark.dbt("build", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test",
              "--select", "+fct_team_monthly_spend", "+fct_cost_allocations")
    return duck, spark


def columns(wh: Warehouse, table: str) -> list[str]:
    return [row[0] for row in wh.query(f"select column_name from (describe select * from marts.{table})")]


def assert_marts_identical(duck: Warehouse, spark: SparkWarehouse, marts: dict[str, tuple[str, ...]]) -> None:
    for table, key in marts.items():
        names = columns(duck, table)
        assert sorted(names) == sorted(columns(spark, table)), f"{table}: different columns on Spark"
        expected = {tuple(r[names.index(k)] for k in key): r for r in sorted_rows(duck, table, names)}
        actual = {tuple(r[names.index(k)] for k in key): r for r in sorted_rows(spark, table, names)}
        assert expected, f"{table} is empty: nothing was compared"
        assert sorted(map(str, actual)) == sorted(map(str, expected)), f"{table}: different keys"
        for k, duck_row in expected.items():
            for name, d, s in zip(names, duck_row, actual[k], strict=True):
                assert d == s, f"{table} {k} {name}: {d!r} (DuckDB) vs {s!r} (Spark)"


def test_sample_contract_marts_are_identical_on_spark(sample_pair: tuple[Warehouse, SparkWarehouse]) -> None:
    duck, spark = sample_pair
    assert_marts_identical(duck, spark, CONTRACT_MARTS)
    # the month totals, worked from the cents: both engines publish the same invoice lines
    totals = "select cast(month as varchar), sum(cost_cents) from marts.fct_team_monthly_spend group by 1 order by 1"
    assert spark.query(totals) == duck.query(totals)


@pytest.mark.parametrize("table", OTHER_MARTS)
def test_sample_other_marts_are_identical_on_spark(sample_pair: tuple[Warehouse, SparkWarehouse], table: str) -> None:
    duck, spark = sample_pair
    names = columns(duck, table)
    assert sorted_rows(spark, table, names) == sorted_rows(duck, table, names)


def test_sample_covers_every_source_on_spark(sample_pair: tuple[Warehouse, SparkWarehouse]) -> None:
    """The Spark build parsed every kind of input and both months (not a vacuous comparison)."""
    _, spark = sample_pair
    sources = {row[0] for row in spark.query("select distinct source from marts.fct_usage_events")}
    assert {"gateway", "jobs", "otel", "litellm"} <= sources
    months = {str(row[0]) for row in spark.query("select distinct month from marts.fct_team_monthly_spend")}
    assert {"2026-09-01", "2026-10-01"} <= months


def test_scenario_marts_are_identical_on_spark_and_match_the_hand_totals(
    scenario_pair: tuple[Warehouse, SparkWarehouse],
) -> None:
    duck, spark = scenario_pair
    assert_marts_identical(duck, spark, {k: CONTRACT_MARTS[k] for k in ("fct_team_monthly_spend", "fct_cost_allocations")})
    assert {
        month: {team: tuple(normalised(v) for v in values) for team, values in teams.items()}
        for month, teams in monthly(spark).items()
    } == {
        month: {team: tuple(normalised(v) for v in values) for team, values in teams.items()}
        for month, teams in EXPECTED_MONTHLY.items()
    }


# --------------------------------------------------------------------------------------------------
# Money at the edges, on both engines: the project's own macros evaluated by `dbt show`.
# --------------------------------------------------------------------------------------------------

BIG = 10**38 - 1  # the widest decimal(38, 0)
_RANDOM = random.Random(38)
DIVISIONS = [(BIG, 7), (BIG, 1), (BIG, BIG), (12345678901234567890123456789012345678, 98765432109876543),
             (10**37 + 3, 10**19 + 7), (10**30 * 3 + 1, 3), (5, 7), (0, 3), (999999999999999999, 1)] + [
    (_RANDOM.randrange(10**_RANDOM.randrange(1, 39)), _RANDOM.randrange(1, 10**_RANDOM.randrange(1, 20))) for _ in range(24)
]
PRICE = Decimal("1.23456789012345678")  # USD per million tokens, 17 decimals
TOKENS = 10**9  # the largest request max_tokens_per_request admits
SPLIT = 3


def edge_sql() -> str:
    """One row of text columns: wide integer divisions, a 1e9-token request at a 17-decimal price, and
    that cost split three ways by floor shares with the remainder to the last (as the allocations do)."""
    text = "{{ dbt.type_string() }}"
    lines = [
        f"{{% set cost = tl_cost('cast({TOKENS} as bigint)', 'cast({PRICE} as decimal(38, 18))', 1000000) %}}",
        f"{{% set share = tl_share_floor('1', '{SPLIT}') %}}",
        "select",
    ]
    columns = [f"cast({{{{ tl_int_div('cast({n} as decimal(38, 0))', 'cast({d} as decimal(38, 0))') }}}} as {text}) as div_{i}"
               for i, (n, d) in enumerate(DIVISIONS)]
    columns += [
        f"cast({{{{ cost }}}} as {text}) as cost",
        f"cast({{{{ share }}}} as {text}) as share",
        f"cast({{{{ tl_scale_money('(' ~ cost ~ ')', '(' ~ share ~ ')') }}}} as {text}) as part",
        f"cast({{{{ tl_scale_money('(' ~ cost ~ ')', '(1 - {SPLIT - 1} * ' ~ share ~ ')') }}}} as {text}) as last_part",
    ]
    # 'v' || text: dbt show's JSON would read a bare numeric text as a (lossy) number
    return "\n".join(lines) + " " + ", ".join("'v' || " + column for column in columns)


def show(wh: Warehouse) -> dict[str, Decimal]:
    import json

    result = wh.dbt("show", "--inline", edge_sql(), "--output", "json", "--limit", "1", "--quiet")
    row = json.loads(result.stdout[result.stdout.index("{"):])["show"][0]
    return {name: Decimal(value.removeprefix("v")) for name, value in row.items()}


def test_money_edge_cases_are_exact_on_both_engines(tmp_path: Path) -> None:
    duck = new_warehouse(tmp_path / "duckdb")
    spark = spark_warehouse(tmp_path / "spark")
    expected_cost = TOKENS * PRICE / 10**6  # 1234.56789012345678, exactly
    share = Decimal(10**12 // SPLIT) / 10**12  # 0.333333333333: shares are floored at 1e-12
    on_duckdb, on_spark = show(duck), show(spark)
    for values in (on_duckdb, on_spark):
        for i, (n, d) in enumerate(DIVISIONS):
            assert values[f"div_{i}"] == n // d, (n, d)
        assert values["cost"] == expected_cost
        assert values["share"] == share
        # each part is the exact product rounded at 1e-24; the parts sum to the cost within the rounding
        assert abs(values["part"] - expected_cost * share) < Decimal("1e-24")
        assert abs(values["last_part"] - expected_cost * (1 - (SPLIT - 1) * share)) < Decimal("1e-24")
        assert abs((SPLIT - 1) * values["part"] + values["last_part"] - expected_cost) <= Decimal("3e-24")
    assert on_duckdb == on_spark
