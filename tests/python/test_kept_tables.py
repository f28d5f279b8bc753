"""Kept tables: int_usage_attempts_matched and int_usage_attempts_unioned are rebuilt whole only when what they
read changed (macros/incremental/kept_tables.sql), and kept otherwise.

One warehouse (the sample, its organisation folder copied so a seed can be edited) goes through a sequence of
builds of the two tables and everything upstream. After each, raw.build_inputs must say what the build did, and
the tables must equal what a full refresh of them computes from the same inputs, row for row. A kept table's
scheduled data tests read none of its rows; the whole test set still reads all of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from harness import PROJECT_ROOT, Warehouse, new_warehouse

KEPT = ("int_usage_attempts_matched", "int_usage_attempts_unioned")
UPSTREAM = ("--select", "+int_usage_attempts_unioned", "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious")


def kept_rows(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    return {name: sorted(wh.query(f"select * from intermediate.{name}"), key=repr) for name in KEPT}


def last_actions(wh: Warehouse) -> dict[str, str]:
    """What the latest invocation noted for each kept table in raw.build_inputs."""
    rows = wh.query(
        "select model_name, action from raw.build_inputs where inputs_digest is not null and invocation_id = "
        "(select invocation_id from raw.build_inputs where inputs_digest is not null order by recorded_at desc limit 1)"
    )
    return dict(rows)


def build(wh: Warehouse, *extra: str, scheduled: bool = True) -> dict[str, str]:
    wh.env_overrides["TOKENLEDGER_TEST_SCOPE"] = "rebuilt" if scheduled else "all"
    wh.dbt("build", *UPSTREAM, *extra)
    return last_actions(wh)


def full_refresh_rows(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """The two tables as a full refresh computes them now (the warehouse is left that way)."""
    wh.dbt("run", "--full-refresh", "--select", *KEPT)
    return kept_rows(wh)


def gateway_line(request_id: str, **fields: Any) -> str:
    record = {
        "request_id": request_id, "timestamp": "2026-10-20T08:00:00Z", "provider": "openai", "endpoint": "/v1/chat/completions",
        "status_code": 200, "api_key_id": "pk.dan", "agent": "notebook-assistant", "attempt": 1, "retry_of": None,
        "response": {"id": f"resp-{request_id}", "model": "gpt-4o-mini", "usage": {"prompt_tokens": 120, "completion_tokens": 30}},
    } | fields  # fmt: skip
    return json.dumps(record)


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    root = tmp_path_factory.mktemp("kept")
    org = root / "org"
    shutil.copytree(PROJECT_ROOT / "data" / "sample" / "org", org)
    wh = new_warehouse(root / "wh", TOKENLEDGER_ORG=str(org))
    wh.ingest(PROJECT_ROOT / "data" / "sample")
    wh.dbt("seed")
    assert build(wh, scheduled=False) == {name: "full" for name in KEPT}
    return wh


def test_kept_tables_follow_their_inputs_and_nothing_else(wh: Warehouse, tmp_path: Path) -> None:
    built = kept_rows(wh)
    assert built["int_usage_attempts_unioned"]  # (the sample has no call reaching the ledger twice: matched is empty)

    # Nothing new: kept, the same rows.
    assert build(wh) == {name: "kept" for name in KEPT}
    assert kept_rows(wh) == built

    # A new load (a new call, and a retry whose root is a sample call): rebuilt, as a full refresh computes it.
    root = wh.query("select attempt_id from intermediate.int_usage_attempts_unioned where source = 'gateway' "
                    "and attempt_seq = 1 order by attempt_id limit 1")[0][0]  # fmt: skip
    new = tmp_path / "gateway-late.jsonl"
    new.write_text(gateway_line("kt-new-1") + "\n" + gateway_line("kt-retry-1", attempt=2, retry_of=root) + "\n")
    wh.ingest(new)
    assert build(wh) == {name: "rebuilt" for name in KEPT}
    after_load = kept_rows(wh)
    assert after_load != built
    keys = {row[0] for row in wh.query("select attempt_key from intermediate.int_usage_attempts_unioned")}
    assert {"gateway:kt-new-1", "gateway:kt-retry-1"} <= keys
    assert wh.scalar("select event_key from intermediate.int_usage_attempts_unioned where attempt_key = 'gateway:kt-retry-1'") \
        == f"gateway:{root}"
    assert full_refresh_rows(wh) == after_load

    # An org edit the two tables do not read (an agent's owner): kept.
    org = Path(wh.env_overrides["TOKENLEDGER_ORG"])
    with (org / "agent_directory.csv").open("a", encoding="utf-8") as handle:
        handle.write("kt-agent,search,2026-10-01\n")
    wh.dbt("seed")
    assert build(wh) == {name: "kept" for name in KEPT}

    # A seed they read (team aliases, through the LiteLLM staging): rebuilt.
    with (org / "team_aliases.csv").open("a", encoding="utf-8") as handle:
        handle.write("litellm,kt-external-team,search\n")
    wh.dbt("seed")
    assert build(wh) == {name: "rebuilt" for name in KEPT}

    # A result-changing variable: rebuilt; the same value again: kept.
    priority = ["--vars", json.dumps({"source_priority": ["otel", "gateway", "litellm", "jobs"]})]
    assert build(wh, *priority) == {name: "rebuilt" for name in KEPT}
    assert build(wh, *priority) == {name: "kept" for name in KEPT}
    assert build(wh) == {name: "rebuilt" for name in KEPT}

    # An unload of the new load: rebuilt, back to the rows before it.
    load_id = wh.scalar("select load_id from raw.load_manifest where file_name = 'gateway-late.jsonl'")
    subprocess.run([sys.executable, "-m", "tokenledger", "unload", str(load_id), "--reason", "test", "--db", str(wh.db)],
                   cwd=PROJECT_ROOT, env=wh.env(), check=True, capture_output=True, text=True)  # fmt: skip
    assert build(wh) == {name: "rebuilt" for name in KEPT}
    assert kept_rows(wh) == built


def test_a_kept_table_is_tested_whole_on_demand_and_not_again_when_kept(wh: Warehouse) -> None:
    """A duplicated attempt written into the kept table by hand: the scheduled build, which keeps the table, reads
    none of its rows (passes); the whole test set reads them all (fails on the duplicate); a re-parse of a base
    parser upstream changes the inputs, and the rebuild removes the row."""
    with duckdb.connect(str(wh.db)) as con:
        con.execute("insert into intermediate.int_usage_attempts_unioned "
                    "select * from intermediate.int_usage_attempts_unioned order by attempt_key limit 1")  # fmt: skip
    assert build(wh) == {name: "kept" for name in KEPT}
    wh.env_overrides["TOKENLEDGER_TEST_SCOPE"] = "all"
    whole = wh.dbt("test", "--select", "int_usage_attempts_unioned", check=False)
    assert whole.returncode != 0
    assert "unique_int_usage_attempts_unioned_attempt_key" in whole.stdout
    wh.dbt("build", "--full-refresh", "--select", "base_gateway__requests_parsed", "--exclude-resource-type", "unit_test")
    assert build(wh) == {name: "rebuilt" for name in KEPT}
    assert wh.scalar("select count(*) - count(distinct attempt_key) from intermediate.int_usage_attempts_unioned") == 0
