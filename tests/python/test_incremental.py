"""Incremental builds: several runs with new, late, duplicate and conflicting data, then a rerun with
nothing new, end equal — every relation, row for row — to a `--full-refresh` build of the same landed
data. The bundled sample arrives file by file; 2026-09 is closed (org/closed_months.csv), so the
late September rows reach the facts only through the load watermark, and the late October row is
older than the lookback window.
"""

from __future__ import annotations

import gzip
import json
import shutil
from typing import Any

import pytest
from harness import PROJECT_ROOT, Warehouse, new_warehouse
from harness import relation_snapshot as snapshot

SAMPLE = PROJECT_ROOT / "data" / "sample"


def late_lines() -> list[str]:
    september = (SAMPLE / "gateway-2026-09.jsonl").read_text(encoding="utf-8").splitlines()
    october = gzip.decompress((SAMPLE / "gateway-2026-10.jsonl.gz").read_bytes()).decode("utf-8").splitlines()
    records = [json.loads(line) for line in september[:40]]
    ok = [r for r in records if r.get("status_code") == 200 and isinstance(r.get("response"), dict) and r.get("retry_of") is None]
    lines = september[100:105]  # identical second deliveries
    conflicting = dict(ok[0])
    conflicting["response"] = json.loads(json.dumps(ok[0]["response"]))
    usage = conflicting["response"]["usage"]
    key = "output_tokens" if "output_tokens" in usage else "completion_tokens"
    usage[key] = usage[key] + 777  # a conflicting copy: the later load wins
    retry = json.loads(json.dumps(ok[1]))
    retry.update(request_id=ok[1]["request_id"] + "-late-retry", retry_of=ok[1]["request_id"], attempt=2,
                 timestamp=ok[1]["timestamp"].replace("Z", ".5Z") if ok[1]["timestamp"].endswith("Z") else ok[1]["timestamp"])
    new_september = json.loads(json.dumps(ok[2]))
    new_september["request_id"] += "-late"
    new_october = next(r for r in map(json.loads, october)
                       if r.get("timestamp", "").startswith("2026-10-0") and r.get("status_code") == 200 and r.get("retry_of") is None)
    new_october["request_id"] += "-late"  # early October: well before the last day minus the lookback
    return lines + [json.dumps(r) for r in (conflicting, retry, new_september, new_october)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("incremental")
    wh = new_warehouse(tmp / "incremental")
    # Strict: open months are NOT reprocessed wholesale, so late rows must come in by the load
    # watermark (September is closed; the late October row is older than the lookback).
    # Data only: the unit tests run in the sample's build.
    strict = ("--vars", "{reprocess_open_months: false}", "--exclude-resource-type", "unit_test")
    wh.ingest(SAMPLE / "gateway-2026-09.jsonl", SAMPLE / "jobs-export-2026-09.csv")
    wh.dbt("build", *strict)
    wh.ingest(SAMPLE / "gateway-2026-10.jsonl.gz")
    wh.dbt("build", *strict)
    wh.ingest(SAMPLE / "jobs-export-2026-10.csv")
    wh.dbt("build", *strict)
    late = tmp / "late-deliveries.jsonl"
    late.write_text("\n".join(late_lines()) + "\n", encoding="utf-8")
    wh.ingest(late)
    wh.dbt("build", *strict)
    after_late = snapshot(wh)
    wh.dbt("build", *strict)  # nothing new
    rerun = snapshot(wh)
    full = new_warehouse(tmp / "full")
    shutil.copy2(wh.db, full.db)
    full.dbt("build", "--full-refresh", "--exclude-resource-type", "unit_test")
    return {"wh": wh, "after_late": after_late, "rerun": rerun, "full": snapshot(full)}


def test_a_rerun_without_new_data_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["rerun"] == runs["after_late"]


def test_incremental_equals_full_refresh(runs: dict[str, Any]) -> None:
    incremental, full = runs["rerun"], runs["full"]
    assert sorted(incremental) == sorted(full)
    differing = [name for name in full if incremental[name] != full[name]]
    assert differing == []
    assert len(full["marts.fct_usage_events"]) > 2900


def test_the_late_rows_reached_the_facts(runs: dict[str, Any]) -> None:
    wh: Warehouse = runs["wh"]
    assert wh.scalar("select count(*) from marts.fct_usage_events where event_id like '%-late'") == 2
    assert wh.scalar("select attempts from marts.fct_usage_events where event_key in "
                     "(select event_key from intermediate.int_usage_attempts_priced where attempt_id like '%-late-retry')") == 2
    # the September changes are restatement candidates of the closed month, not silent rewrites
    assert wh.scalar("select count(*) from audit.restatement_candidates where month = '2026-09-01'") >= 1
