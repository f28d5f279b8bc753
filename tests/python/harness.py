"""Test harness: a throwaway warehouse, the ingest CLI and dbt against it.

Every test warehouse lives in a temp dir with its own dbt target path, so tests never touch the
default warehouse or each other's artefacts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from tokenledger.common import dbt_org_path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SHARED = PROJECT_ROOT.parent / "shared"
# The organisation folder inside a project (copy): the sample's, which dbt reads by default.
ORG = Path("data") / "sample" / "org"


@dataclass
class Warehouse:
    root: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    project_dir: Path = PROJECT_ROOT

    @property
    def db(self) -> Path:
        return self.root / "tokenledger.duckdb"

    def env(self) -> dict[str, str]:
        return {**os.environ, "TOKENLEDGER_DB": str(self.db), "TOKENLEDGER_LOCK_WAIT": "120", **self.env_overrides}

    def ingest_target(self) -> list[str]:
        """The ingest CLI's arguments naming this warehouse."""
        return ["--db", str(self.db)]

    def ingest(self, *paths: Path | str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "tokenledger", "ingest", *self.ingest_target(), *map(str, paths)],
            cwd=PROJECT_ROOT, env=self.env(), capture_output=True, text=True,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"ingest failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def dbt_command(self, *args: str) -> tuple[list[str], dict[str, str]]:
        """The dbt command line and environment of `dbt(*args)` (to start it without waiting)."""
        command = [
            str(BIN / "dbt"), *args, "--profiles-dir", str(PROJECT_ROOT / "profiles"),
            "--project-dir", str(self.project_dir), "--target-path", str(self.root / "target"),
            "--log-path", str(self.root / "logs"),
        ]
        env = self.env()
        if "TOKENLEDGER_ORG" in env and Path(env["TOKENLEDGER_ORG"]).is_absolute():
            # dbt needs the organisation folder relative to the project (tokenledger.common.dbt_org_path)
            env["TOKENLEDGER_ORG"] = dbt_org_path(Path(env["TOKENLEDGER_ORG"]), self.project_dir)
        return command, env

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command, env = self.dbt_command(*args)
        result = subprocess.run(command, cwd=self.project_dir, env=env, capture_output=True, text=True)
        if check and result.returncode != 0:
            tail = "\n".join(result.stdout.splitlines()[-60:])
            raise AssertionError(f"dbt {' '.join(args)} failed ({result.returncode}):\n{tail}\n{result.stderr[-2000:]}")
        return result

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            con.execute("set TimeZone = 'UTC'")
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None


def normalised(value: Any) -> Any:
    """A value as engines compare equal: numbers as exact decimals without trailing zeros (Postgres sums
    carry their own scale), instants as naive UTC; the rest as is."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value).normalize() + 0
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def sorted_rows(wh: Warehouse, table: str, names: list[str]) -> list[tuple[Any, ...]]:
    """Every row of marts.`table` (the columns `names`, normalised), in a fixed order."""
    select = ", ".join(f'"{name}"' for name in names)
    return sorted(
        (tuple(normalised(v) for v in row) for row in wh.query(f"select {select} from marts.{table}")),
        key=lambda row: tuple((v is None, str(v)) for v in row),
    )


SNAPSHOT_SCHEMAS = ("staging", "intermediate", "marts", "audit")


def relation_snapshot(wh: Warehouse, schemas: tuple[str, ...] = SNAPSHOT_SCHEMAS) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every relation in `schemas` (all columns but published_at, which records when), sorted:
    two warehouses built from the same landed data compare equal row for row and decimal for decimal."""
    relations = wh.query(
        "select table_schema, table_name from information_schema.tables where table_schema in "
        f"({', '.join(repr(s) for s in schemas)}) order by 1, 2")
    out = {}
    for schema, name in relations:
        columns = [c for (c,) in wh.query(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "and column_name <> 'published_at' order by ordinal_position", [schema, name])]
        rows = wh.query(f"select {', '.join(chr(34) + c + chr(34) for c in columns)} from {schema}.{name}")
        out[f"{schema}.{name}"] = sorted(rows, key=repr)
    return out


def new_warehouse(tmp: Path, project_dir: Path = PROJECT_ROOT, **env: str) -> Warehouse:
    tmp.mkdir(parents=True, exist_ok=True)
    return Warehouse(tmp, dict(env), project_dir)


def copy_project(destination: Path) -> Path:
    """A throwaway copy of the project (models, seeds, macros, the sample's org folder, ...) whose
    organisation files (destination / ORG) a test may edit."""
    shutil.copytree(
        PROJECT_ROOT, destination,
        ignore=shutil.ignore_patterns(".venv", ".git", "target", "logs", "warehouse", "__pycache__", ".pytest_cache",
                                      ".tokenledger"),
    )
    return destination


@dataclass
class PgWarehouse(Warehouse):
    """The same project on a Postgres database: `ingest.py --target postgres`, `dbt --target postgres`.

    `root` holds dbt's target and log paths; the data lives in `database` on `server`
    (a tools/pg_sandbox.Server).
    """

    server: Any = None
    database: str = ""

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.server.env(), "TOKENLEDGER_PG_DBNAME": self.database}

    def ingest_target(self) -> list[str]:
        return ["--target", "postgres"]

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return super().dbt(*args, "--target", "postgres", check=check)

    def conninfo(self, user: str | None = None, password: str | None = None) -> str:
        if user is None:
            return str(self.server.conninfo(dbname=self.database))
        return str(self.server.conninfo(user=user, password=password, dbname=self.database))

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """As Warehouse.query: DuckDB-style `?` placeholders (turned into psycopg's %s)."""
        import psycopg

        with psycopg.connect(self.conninfo()) as con:
            return con.execute(sql.replace("?", "%s") if params else sql, params or None).fetchall()


def spark_unavailable() -> str | None:
    """Why the Spark tests cannot run here (None when they can): the Spark extra or Java is missing."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        return "Spark tests skipped: the Spark extra is not installed (make setup-spark)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark tests skipped: no Java runtime (make setup-spark installs one)"
    return None


@dataclass
class SparkWarehouse(Warehouse):
    """The same project on local Apache Spark: `ingest --target spark` lands the raw lake, `dbt --target
    spark` builds Parquet tables under `root`/tables (metastore `root`/metastore, one JVM per dbt run).

    query() reads the built tables' Parquet files with DuckDB (no JVM): `spark.<schema>.<table>` names
    are rewritten to the table's files, so the same SQL reads both engines."""

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "TOKENLEDGER_SPARK_WAREHOUSE": str(self.tables),
            "TOKENLEDGER_SPARK_METASTORE": str(self.root / "metastore"),
            "TOKENLEDGER_LAKE": str(self.root / "lake"),
            "TOKENLEDGER_SPARK_MASTER": "local[2]",
            "TOKENLEDGER_SPARK_DRIVER_MEMORY": "2g",
        }

    def ingest_target(self) -> list[str]:
        return ["--target", "spark"]

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return super().dbt(*args, "--target", "spark", check=check)

    def parquet(self, schema: str, table: str) -> str:
        """A DuckDB table function reading one Spark table's Parquet files (month partitions included)."""
        return f"read_parquet('{self.tables}/{schema}.db/{table}/**/*.parquet', hive_partitioning = true, union_by_name = true)"

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        import re

        with duckdb.connect() as con:
            con.execute("set TimeZone = 'UTC'")
            for schema, table in set(re.findall(r"\b(marts|intermediate|audit|seeds)\.([a-z_0-9]+)\b", sql)):
                con.execute(f"create schema if not exists {schema}")
                con.execute(f"create or replace view {schema}.{table} as select * from {self.parquet(schema, table)}")
            return con.execute(sql, params or []).fetchall()
