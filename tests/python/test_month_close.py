"""Month close and restatements end to end, on a copy of the project (its seeds are edited).

The sample is built with 2026-09 closed (org/closed_months.csv); then a late September job lands
(1.2M input / 300k output on gpt-5.4 tagged search: 1.2 x $2.50 + 0.3 x $15 = $7.50, the worked
example's figure; gpt-5.4 has no negotiated discount in the seeds), the build runs again (and with
--full-refresh), and finally a restatement is approved. Published lines never change; the candidate
shows the exact delta; the restatement publishes version 2 with the reason.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from harness import ORG, PROJECT_ROOT, Warehouse, copy_project, new_warehouse
from test_worked_example import job, write_jobs

LATE_JOB_COST = Decimal("7.50")  # the worked example's Team Search figure (gpt-5.4, 1.2M in / 300k out, no discount)

PUBLISHED = ("select month, publication_version, team_id, cost_usd, cost_cents, list_cost_usd, events, publication_kind, "
             "reason, approved_by, max_load_id, published_at from marts.published_team_monthly_spend order by 1, 2, 3")


def warn_status(wh: Warehouse, test_name: str) -> str | None:
    results = json.loads((wh.root / "target" / "run_results.json").read_text())
    return {r["unique_id"].split(".")[2]: r["status"] for r in results["results"]}.get(test_name)


# Data only: the unit tests run in the sample's build.
BUILD = ("build", "--exclude-resource-type", "unit_test")


@pytest.fixture(scope="module")
def closing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("month_close")
    project = copy_project(tmp / "project")
    wh = new_warehouse(tmp / "wh", project_dir=project)
    wh.ingest(PROJECT_ROOT / "data" / "sample")
    wh.dbt(*BUILD)
    stages: dict[str, object] = {"wh": wh, "project": project, "first": wh.query(PUBLISHED),
                                 "september": wh.query("select team_id, cost_usd, cost_cents from marts.fct_team_monthly_spend "
                                                       "where month = '2026-09-01' order by 1")}
    # A late September job: six requests of 200k / 50k on gpt-5.4 tagged search (below the 272k tier).
    late = [job(f"late-sep-{i}", "search", 200_000, 50_000, created_at="2026-09-28T09:00:00Z") for i in range(6)]
    wh.ingest(write_jobs(tmp / "late-september.csv", late))
    wh.dbt(*BUILD)
    stages["after_late"] = wh.query(PUBLISHED)
    stages["candidates"] = wh.query("select team_id, published_version, published_cost_usd, current_cost_usd, delta_usd, "
                                    "delta_cents, late_events from audit.restatement_candidates order by 1")
    stages["warn"] = warn_status(wh, "warn_restatement_candidates")
    # An export of the closed month now: its published lines, the candidates stated (never the recomputed lines).
    export_dir = tmp / "export-closed"
    stages["closed_export"] = subprocess.run(
        [sys.executable, "-m", "tokenledger", "export", "--db", str(wh.db), "--month", "2026-09",
         "--out", str(export_dir)], capture_output=True, text=True)
    stages["closed_export_dir"] = export_dir
    stages["closed_report"] = subprocess.run(
        [sys.executable, "-m", "tokenledger", "report", "--db", str(wh.db), "--month", "2026-09",
         "--out", str(export_dir)], capture_output=True, text=True)
    wh.dbt(*BUILD, "--full-refresh")
    stages["after_full_refresh"] = wh.query(PUBLISHED)
    (project / ORG / "restatements.csv").write_text(
        "month,reason,approved_by,restated_on\n2026-09,Late September jobs export (6 search jobs),cfo@corp.example,2026-11-20\n",
        encoding="utf-8")
    wh.dbt(*BUILD)
    stages["after_restatement"] = wh.query(PUBLISHED)
    stages["candidates_after"] = wh.scalar("select count(*) from audit.restatement_candidates")
    # One more late job, and a second restatement dated BEFORE the first one (entered later).
    wh.ingest(write_jobs(tmp / "later-september.csv",
                         [job("late-sep-b", "search", 200_000, 50_000, created_at="2026-09-29T09:00:00Z")]))
    (project / ORG / "restatements.csv").write_text(
        "month,reason,approved_by,restated_on\n2026-09,Late September jobs export (6 search jobs),cfo@corp.example,2026-11-20\n"
        "2026-09,Second late export (1 search job),controller@corp.example,2026-11-10\n", encoding="utf-8")
    wh.dbt(*BUILD)
    stages["after_second_restatement"] = wh.query(PUBLISHED)
    return stages


def test_closing_publishes_the_month_lines(closing: dict[str, object]) -> None:
    first = closing["first"]
    september = closing["september"]
    assert [(r[2], r[3], r[4]) for r in first] == september  # version 1 = the lines at close, every team
    assert {(r[0].isoformat(), r[1], r[7]) for r in first} == {("2026-09-01", 1, "close")}
    exact = sum(cost for _, cost, _ in september)
    assert sum(r[4] for r in first) == int((exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_late_data_and_full_refresh_never_change_published_lines(closing: dict[str, object]) -> None:
    assert closing["after_late"] == closing["first"]
    assert closing["after_full_refresh"] == closing["first"]


def test_the_candidate_shows_the_exact_delta(closing: dict[str, object]) -> None:
    search = dict((r[0], r) for r in closing["september"])["search"]
    assert closing["candidates"] == [("search", 1, search[1], search[1] + LATE_JOB_COST, LATE_JOB_COST, 750, 6)]
    assert closing["warn"] == "warn"


def test_a_restatement_publishes_version_two(closing: dict[str, object]) -> None:
    after = closing["after_restatement"]
    version1 = [r for r in after if r[1] == 1]
    version2 = {r[2]: r for r in after if r[1] == 2}
    assert version1 == closing["first"]
    search = dict((r[0], r) for r in closing["september"])["search"]
    assert version2["search"][3] == search[1] + LATE_JOB_COST
    assert all(r[7] == "restatement" and r[8].startswith("Late September") and r[9] == "cfo@corp.example"
               for r in version2.values())
    others = {r[2]: r[3] for r in version1 if r[2] != "search"}
    assert {team: r[3] for team, r in version2.items() if team != "search"} == others
    assert closing["candidates_after"] == 0


def test_restatements_publish_in_the_order_they_were_made(closing: dict[str, object]) -> None:
    """A restatement dated before one already published is published after it, with its own reason."""
    before = closing["after_restatement"]
    after = closing["after_second_restatement"]
    assert [r for r in after if r[1] <= 2] == before  # versions 1 and 2 never move
    version2 = {r[2]: r for r in before if r[1] == 2}
    version3 = {r[2]: r for r in after if r[1] == 3}
    assert set(version3) == set(version2)
    assert all(r[7] == "restatement" and r[8] == "Second late export (1 search job)" and r[9] == "controller@corp.example"
               for r in version3.values())
    # 200k x $2.50/M + 50k x $15/M = $1.25 more for search, nothing else moves
    assert version3["search"][3] == version2["search"][3] + Decimal("1.25")
    assert {t: r[3] for t, r in version3.items() if t != "search"} == {t: r[3] for t, r in version2.items() if t != "search"}


def test_a_closed_month_exports_its_published_lines_and_states_the_difference(closing: dict[str, object]) -> None:
    result = closing["closed_export"]
    assert isinstance(result, subprocess.CompletedProcess)
    assert result.returncode == 0, result.stderr
    assert "2026-09 is closed: exported its published lines (version 1)" in result.stderr
    out = closing["closed_export_dir"]
    assert isinstance(out, Path)
    with (out / "chargeback-2026-09.csv").open(encoding="utf-8") as handle:
        lines = {row["team_id"]: row for row in csv.DictReader(handle) if row["row_type"] == "team"}
    first = closing["first"]
    assert {team: int(row["cost_cents"]) for team, row in lines.items()} == {r[2]: r[4] for r in first}
    total = sum(r[4] for r in first)
    memo = (out / "allocation-memo-2026-09.md").read_text(encoding="utf-8")
    assert "2026-09 is closed: these are its published lines, version 1 (the close)." in memo
    dollars = Decimal(total) / 100
    assert f"**Total effective cost: ${dollars:,.2f}**" in memo
    # the recomputed month is $7.50 more: stated, with the candidate, not exported as lines
    assert f"The ledger now computes ${dollars + LATE_JOB_COST:,.2f} for the month, +$7.50 against the published" in memo
    assert "- candidate: search" in memo and "6 late events" in memo
    assert "are not exported" in memo


def test_a_closed_month_reports_its_published_lines(closing: dict[str, object]) -> None:
    # the report shows what the chargeback exports: the published cents, not the recomputed ones
    result: subprocess.CompletedProcess[str] = closing["closed_report"]  # type: ignore[assignment]
    assert result.returncode == 0, result.stderr
    page = (closing["closed_export_dir"] / "chargeback-report-2026-09.html").read_text(encoding="utf-8")  # type: ignore[operator]
    published = {team: cents for _, version, team, _, cents, *_ in closing["first"] if version == 1}  # type: ignore[attr-defined]
    shown = {team: int(cents) for team, cents in re.findall(r'<tr data-team="([^"]+)">.*?data-cents="(-?\d+)"', page, flags=re.S)}
    assert shown == published
    assert int(re.search(r"data-total-cents=[\"'](\d+)", page).group(1)) == sum(published.values())  # type: ignore[union-attr]
    assert "2026-09 is closed: its published lines, version 1" in page
    assert "The ledger now computes" in page  # the memo states the recomputed total and the candidates


def test_the_memo_reports_the_restatement(closing: dict[str, object], tmp_path: Path) -> None:
    wh = closing["wh"]
    assert isinstance(wh, Warehouse)
    result = subprocess.run([sys.executable, "-m", "tokenledger", "export", "--db", str(wh.db),
                             "--month", "2026-10", "--out", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    memo = (tmp_path / "allocation-memo-2026-10.md").read_text(encoding="utf-8")
    assert "2026-09 restated as version 2 (Late September jobs export (6 search jobs); approved by cfo@corp.example)" in memo
    assert "+$7.50" in memo


def test_a_restatement_of_an_open_month_fails_the_build(closing: dict[str, object], tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / ORG / "restatements.csv").write_text("month,reason,approved_by\n2026-10,oops,someone\n", encoding="utf-8")
    wh = closing["wh"]
    assert isinstance(wh, Warehouse)
    clone = new_warehouse(tmp_path / "wh", project_dir=project)
    shutil.copy2(wh.db, clone.db)
    result = clone.dbt("build", "-s", "restatements", "stg_org__restatements", check=False)
    assert result.returncode != 0 and "relationships_stg_org__restatements" in result.stdout
