"""Incremental equals a full refresh under any sequence of changes (a property, checked on one random sequence
per run).

Starting from the sample's September, its October jobs export and most of its October gateway days, a seeded
random sequence applies every kind of change a scheduler meets — in random order, with random choices inside
each:

- a new day of gateway traffic (October's remaining days, then November days made from October's),
- late data into a closed month (new calls and a conflicting copy of a landed one),
- a duplicate file (copies of landed lines under a new file name),
- a re-delivered file (a landed file's name again, some rows' usage changed, one of them a day later or earlier),
- an org edit (an agent changes owner from the latest day on),
- a price change (a custom price from the latest day on),
- a month close (`tokenledger close`).

After every step the incremental build (default settings: open months reprocessed only when their
configuration fingerprint moved) must equal a `--full-refresh` build of a copy of the same warehouse, every
relation of staging, intermediate, marts and audit row for row and decimal for decimal; and every published
line of a closed month (marts.published_team_monthly_spend) must stay exactly as first published. At the end,
a rerun with nothing new changes nothing, the late calls are in the facts, and a closed month late data
reached shows in audit.restatement_candidates.

Scheduled builds test only the months a fact rebuilt (raw.build_months; `tokenledger build --scheduled`), and the
month reports rebuild only those. So after every step, every month whose rows changed in a fact or month report
must be among the months that build recorded for it, and the rerun with nothing new records none. At the end, a row corrupted in a month
no build touches is invisible to the scoped tests and caught by the default (whole) ones.
TOKENLEDGER_PROPERTY_SEED replays a sequence; the seed is printed (and in the failure message).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from harness import PROJECT_ROOT, Warehouse, new_warehouse, relation_snapshot

SAMPLE = PROJECT_ROOT / "data" / "sample"
MODELS_ONLY = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
# The incremental facts (tl_month_fact_config; tl_event_fact_config: rebuilt a day at a time, recording the months
# of those days), the month reports built from them
# (tl_month_report_config), and their month column.
MONTH_FACTS = {
    "intermediate.int_usage_attempts_priced": "event_month", "intermediate.int_usage_events": "month",
    "intermediate.int_usage_events_attributed": "month", "intermediate.int_savings_scenarios": "month",
    "marts.fct_usage_events": "month", "marts.fct_cost_allocations": "month", "marts.fct_savings_events": "month",
    "marts.fct_team_monthly_spend": "month", "marts.rpt_team_benchmarks": "month", "marts.rpt_savings_opportunities": "month",
    "marts.rpt_chargeback_by_dimension": "month", "marts.rpt_chargeback_by_model_agent": "month",
}
INITIAL_OCTOBER_DAYS = 26  # October 1-26 land first; the new-day steps bring the rest, then November


def gateway_lines(path: Path) -> list[str]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [line for line in raw.decode("utf-8").splitlines() if line.strip()]


def record(line: str) -> dict[str, Any] | None:
    """The call a gateway line holds (None for the sample's deliberately unreadable lines)."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("request_id"), str) else None


def day_of(line: str) -> str:
    value = record(line)
    stamp = value.get("timestamp") if value else None
    return stamp[:10] if isinstance(stamp, str) and stamp[:4].isdigit() else "2026-10-01"


def with_usage_changed(value: dict[str, Any], extra: int) -> dict[str, Any] | None:
    """A copy of a successful call with `extra` more output tokens (None when it has no usage)."""
    copy = json.loads(json.dumps(value))
    usage = copy.get("response", {}).get("usage") if isinstance(copy.get("response"), dict) else None
    if not isinstance(usage, dict):
        return None
    key = "output_tokens" if "output_tokens" in usage else "completion_tokens"
    if not isinstance(usage.get(key), int):
        return None
    usage[key] += extra
    return copy


def moved_a_day(value: dict[str, Any]) -> dict[str, Any]:
    """The call a day later, or a day earlier when that would leave its month (the per-event facts rebuild days: the
    day it left must be rebuilt too)."""
    stamp = value.get("timestamp")
    if not isinstance(stamp, str) or len(stamp) < 10:
        return value
    day = date.fromisoformat(stamp[:10])
    moved = day + timedelta(days=1)
    if moved.month != day.month:
        moved = day - timedelta(days=1)
    return {**value, "timestamp": moved.isoformat() + stamp[10:]}


@dataclass
class Ledger:
    """The warehouse under test, its organisation folder and what has landed so far."""

    wh: Warehouse
    org: Path
    deliveries: Path
    rng: random.Random
    pending_days: list[tuple[str, list[str]]]
    landed: dict[str, list[str]] = field(default_factory=dict)  # file name -> its lines as last delivered
    late_into: set[str] = field(default_factory=set)  # the closed months late data reached
    steps: int = 0

    def deliver(self, name: str, lines: list[str]) -> None:
        path = self.deliveries / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.wh.ingest(path)
        self.landed[name] = lines

    def landed_records(self) -> list[dict[str, Any]]:
        return [value for lines in self.landed.values() for value in map(record, lines) if value is not None]

    def closed_months(self) -> set[str]:
        with (self.org / "closed_months.csv").open(encoding="utf-8") as handle:
            return {row["month"][:7] for row in csv.DictReader(handle)}

    def latest_day(self) -> str:
        return max(str(value["timestamp"])[:10] for value in self.landed_records() if isinstance(value.get("timestamp"), str))

    def edit_day(self) -> str:
        """The day an org or price edit takes effect: the latest landed day ("from yesterday"), or the first day
        after the closed months when that day's month is closed (an edit never reaches back into a closed month)."""
        day = self.latest_day()
        closed = self.closed_months()
        while day[:7] in closed:
            year, month = int(day[:4]), int(day[5:7])
            day = f"{year + month // 12}-{month % 12 + 1:02d}-01"
        return day

    def append_org_row(self, file_name: str, row: dict[str, str]) -> None:
        path = self.org / file_name
        with path.open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        text = path.read_text(encoding="utf-8")
        with path.open("a", encoding="utf-8", newline="") as handle:
            if text and not text.endswith("\n"):
                handle.write("\n")
            csv.writer(handle, lineterminator="\n").writerow([row.get(name, "") for name in header])


def new_day(ledger: Ledger) -> str:
    if ledger.pending_days:
        day, lines = ledger.pending_days.pop(0)
    else:  # a November day made from a random October one: new ids, the same traffic a month later
        source = ledger.rng.randint(1, 30)
        day = f"2026-11-{source:02d}"
        lines = []
        for line in ledger.landed.get("gateway-2026-10-initial.jsonl", []):
            value = record(line)
            if value is None or day_of(line) != f"2026-10-{source:02d}":
                continue
            value["timestamp"] = str(value["timestamp"]).replace("2026-10-", "2026-11-", 1)
            value["request_id"] += "-nov"
            if isinstance(value.get("retry_of"), str):
                value["retry_of"] += "-nov"
            lines.append(json.dumps(value))
    ledger.deliver(f"gateway-{day}.jsonl", lines)
    return f"new day {day} ({len(lines)} lines)"


def late_into_closed_month(ledger: Ledger) -> str:
    month = ledger.rng.choice(sorted(ledger.closed_months()))
    calls = [value for value in ledger.landed_records()
             if str(value.get("timestamp", "")).startswith(month) and value.get("status_code") == 200]
    picked = ledger.rng.sample(calls, 4)
    late = []
    for value in picked[:3]:
        copy = json.loads(json.dumps(value))
        copy["request_id"] += f"-late{ledger.steps}"
        copy["retry_of"] = None
        late.append(json.dumps(copy))
    conflicting = with_usage_changed(picked[3], 500 + ledger.steps)
    if conflicting is not None:
        late.append(json.dumps(conflicting))
    ledger.deliver(f"late-{month}-{ledger.steps}.jsonl", late)
    ledger.late_into.add(month)
    return f"late data into closed {month} ({len(late)} lines, one a conflicting copy)"


def duplicate_file(ledger: Ledger) -> str:
    lines = [line for lines in ledger.landed.values() for line in lines]
    copies = ledger.rng.sample(lines, 15)
    ledger.deliver(f"duplicates-{ledger.steps}.jsonl", copies)
    return f"duplicate file ({len(copies)} landed lines again)"


def redeliver_changed(ledger: Ledger) -> str:
    name = ledger.rng.choice(sorted(n for n in ledger.landed if n.startswith("gateway-")))
    lines = list(ledger.landed[name])
    changeable = [i for i, line in enumerate(lines) if (value := record(line)) and with_usage_changed(value, 1)]
    changed = ledger.rng.sample(changeable, min(3, len(changeable)))
    for n, i in enumerate(changed):
        value = with_usage_changed(record(lines[i]) or {}, 1000 + ledger.steps)
        if n == 0 and value is not None:
            value = moved_a_day(value)
        lines[i] = json.dumps(value)
    ledger.deliver(name, lines)
    return f"re-delivered {name} with {len(changed)} rows changed (one a day earlier or later)"


def org_edit(ledger: Ledger) -> str:
    with (ledger.org / "agent_directory.csv").open(encoding="utf-8") as handle:
        agents = sorted({row["agent"] for row in csv.DictReader(handle)})
    with (ledger.org / "teams.csv").open(encoding="utf-8") as handle:
        teams = sorted(row["team_id"] for row in csv.DictReader(handle) if not row.get("merged_into"))
    agent = ledger.rng.choice(agents)
    team = ledger.rng.choice(teams)
    day = ledger.edit_day()
    ledger.append_org_row("agent_directory.csv", {"agent": agent, "team_id": team, "effective_from": day})
    return f"org edit: {agent} owned by {team} from {day}"


def price_change(ledger: Ledger) -> str:
    models = sorted({(str(value["provider"]), str(value["response"]["model"])) for value in ledger.landed_records()
                     if isinstance(value.get("response"), dict) and isinstance(value["response"].get("model"), str)
                     and isinstance(value.get("provider"), str)})
    provider, model = ledger.rng.choice(models)
    day = ledger.edit_day()
    rate = ledger.rng.choice(["0.35", "1.25", "2.5", "7.125"])
    ledger.append_org_row("custom_prices.csv", {
        "provider": provider, "model": model, "match": "prefix", "effective_from": day, "input_mtok": rate,
        "cache_read_mtok": "0.1", "output_mtok": str(4 * float(rate)), "request_usd": "0", "note": "negotiated rate"})
    return f"price change: {provider}/{model}* at {rate} per million input from {day}"


def month_close(ledger: Ledger) -> str:
    months = sorted({str(value["timestamp"])[:7] for value in ledger.landed_records()
                     if isinstance(value.get("timestamp"), str)} - ledger.closed_months())
    if not months:
        return "month close: every month with data is closed already"
    result = subprocess.run(
        [sys.executable, "-m", "tokenledger", "close", months[0], "--by", "controller@corp.example", "--org", str(ledger.org)],
        cwd=PROJECT_ROOT, env=ledger.wh.env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return f"month close {months[0]}"


OPERATIONS: dict[str, Callable[[Ledger], str]] = {
    "new day": new_day, "late data into a closed month": late_into_closed_month, "duplicate file": duplicate_file,
    "re-delivered file": redeliver_changed, "org edit": org_edit, "price change": price_change, "month close": month_close,
}


def published(wh: Warehouse) -> dict[str, set[tuple[Any, ...]]]:
    lines: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for row in wh.query("select strftime(month, '%Y-%m'), * from marts.published_team_monthly_spend"):
        lines[str(row[0])].add(tuple(row))
    return dict(lines)


def rows_by_month(wh: Warehouse) -> dict[str, dict[str, list[str]]]:
    """Each month fact's rows (as text), per month."""
    out: dict[str, dict[str, list[str]]] = {}
    for relation, column in MONTH_FACTS.items():
        months: dict[str, list[str]] = defaultdict(list)
        for month, *row in wh.query(f"select strftime({column}, '%Y-%m'), * from {relation}"):
            months[str(month)].append(repr(row))
        out[relation] = {month: sorted(rows) for month, rows in months.items()}
    return out


def recorded_months(wh: Warehouse) -> dict[str, set[str]]:
    """The months the last build recorded as rebuilt, per month fact ('*': every month, a full build)."""
    recorded: dict[str, set[str]] = {relation: set() for relation in MONTH_FACTS}
    names = {relation.split(".")[1]: relation for relation in MONTH_FACTS}
    for model, month in wh.query(
            "select model_name, coalesce(strftime(month, '%Y-%m'), '*') from raw.build_months where invocation_id = "
            "(select invocation_id from raw.build_runs order by finished_at desc limit 1)"):
        recorded[names[model]].add(str(month))
    return recorded


def assert_changes_recorded(before: dict[str, dict[str, list[str]]], wh: Warehouse, context: str) -> None:
    """Every month whose rows a build changed in a month fact is a month that build recorded for it."""
    after, recorded = rows_by_month(wh), recorded_months(wh)
    for relation in MONTH_FACTS:
        changed = {m for m in before[relation].keys() | after[relation].keys()
                   if before[relation].get(m) != after[relation].get(m)}
        if "*" not in recorded[relation]:
            assert changed <= recorded[relation], f"{context}: {relation} changed {sorted(changed)}, recorded {sorted(recorded[relation])}"


def test_random_changes_keep_incremental_equal_to_a_full_refresh(tmp_path: Path) -> None:
    seed = int(os.environ.get("TOKENLEDGER_PROPERTY_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"TOKENLEDGER_PROPERTY_SEED={seed}")
    rng = random.Random(seed)
    org = tmp_path / "org"
    shutil.copytree(SAMPLE / "org", org)
    deliveries = tmp_path / "deliveries"
    deliveries.mkdir()
    wh = new_warehouse(tmp_path / "incremental", TOKENLEDGER_ORG=str(org))

    october = gateway_lines(SAMPLE / "gateway-2026-10.jsonl.gz")
    by_day: dict[str, list[str]] = defaultdict(list)
    for line in october:
        by_day[day_of(line)].append(line)
    days = sorted(by_day)
    initial = [line for day in days[:INITIAL_OCTOBER_DAYS] for line in by_day[day]]
    ledger = Ledger(wh, org, deliveries, rng, [(day, by_day[day]) for day in days[INITIAL_OCTOBER_DAYS:]])
    wh.ingest(SAMPLE / "jobs-export-2026-09.csv", SAMPLE / "jobs-export-2026-10.csv")
    ledger.deliver("gateway-2026-09.jsonl", gateway_lines(SAMPLE / "gateway-2026-09.jsonl"))
    ledger.deliver("gateway-2026-10-initial.jsonl", initial)
    wh.dbt("build", *MODELS_ONLY)

    names = list(OPERATIONS)
    rng.shuffle(names)
    history: list[str] = []
    first_published = published(wh)
    refreshing: FullRefresh | None = None
    for name in names:
        ledger.steps += 1
        history.append(OPERATIONS[name](ledger))
        before = rows_by_month(wh)
        wh.dbt("build", *MODELS_ONLY)
        context = f"seed {seed}, after: " + " -> ".join(history)
        assert_changes_recorded(before, wh, context)
        now = published(wh)
        for month, lines in first_published.items():
            assert now.get(month) == lines, f"{context}: the published lines of {month} moved"
        first_published = {**now, **first_published}
        if refreshing is not None:
            refreshing.check()
        # The full refresh of this step runs while the next step is applied and built incrementally: a copy of
        # the warehouse and of the organisation folder as they are now, and what the incremental build gave.
        refreshing = FullRefresh.start(wh, org, tmp_path / f"full-{ledger.steps}", context)
    # A rerun with nothing new changes nothing (while the last full refresh runs).
    before_rerun = relation_snapshot(wh)
    wh.dbt("build", *MODELS_ONLY)
    assert relation_snapshot(wh) == before_rerun, f"seed {seed}: a rerun with nothing new changed the ledger"
    assert recorded_months(wh) == {relation: set() for relation in MONTH_FACTS}, f"seed {seed}: the rerun rebuilt months"
    assert refreshing is not None
    refreshing.check()
    assert len(first_published) >= 2, "September and the month closed in the sequence are published"
    # The late calls reached the facts; in a closed month they are restatement candidates, not silent rewrites.
    assert wh.scalar("select count(*) from marts.fct_usage_events where event_id like '%-late%'") >= 3
    for month in ledger.late_into:
        assert wh.scalar("select count(*) from audit.restatement_candidates where strftime(month, '%Y-%m') = ?", [month]) >= 1, month
    # A copy of September's costliest event row: the scoped tests of a run that rebuilt nothing do not read it; the
    # default tests (every row) fail on it (its key repeats, and the month's spend no longer ties to the events).
    with duckdb.connect(str(wh.db)) as con:
        con.execute("insert into marts.fct_usage_events select * from marts.fct_usage_events "
                    "where month = date '2026-09-01' order by cost_usd desc nulls last, event_id limit 1")
    # Its own tests, and a month report's, with the report's ties to fct_usage_events by month (scoped, they read the same
    # months on both sides; cautious selection alone leaves out a test on two models).
    selected = ("-s", "fct_usage_events,test_type:generic", "fct_team_monthly_spend,test_type:generic",
                "tl_sums_equal_fct_team_monthly_spend_*", "--indirect-selection", "cautious")
    scoped = Warehouse(wh.root, {**wh.env_overrides, "TOKENLEDGER_TEST_SCOPE": "rebuilt"}, wh.project_dir)
    assert scoped.dbt("test", *selected, check=False).returncode == 0, "the scoped tests read a month no build rebuilt"
    whole = wh.dbt("test", *selected, check=False)
    assert whole.returncode == 1 and "unique_fct_usage_events_event_key" in whole.stdout, whole.stdout[-3000:]
    assert "tl_sums_equal_fct_team_monthly_spend_cost_usd" in whole.stdout, whole.stdout[-3000:]


@dataclass
class FullRefresh:
    """`dbt build --full-refresh` of a copy of a warehouse and its organisation folder, started in the
    background; check() waits for it and compares it with the incremental build's relations."""

    full: Warehouse
    expected: dict[str, list[tuple[Any, ...]]]
    context: str
    process: subprocess.Popen[str]

    @classmethod
    def start(cls, wh: Warehouse, org: Path, root: Path, context: str) -> FullRefresh:
        root.mkdir(parents=True)
        shutil.copytree(org, root / "org")
        full = new_warehouse(root, TOKENLEDGER_ORG=str(root / "org"))
        shutil.copy2(wh.db, full.db)
        command, env = full.dbt_command("build", "--full-refresh", *MODELS_ONLY)
        with (root / "dbt.out").open("w", encoding="utf-8") as out:  # a file: a pipe would stall a long build
            process = subprocess.Popen(command, cwd=full.project_dir, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        return cls(full, relation_snapshot(wh), context, process)

    def check(self) -> None:
        self.process.wait()
        output = (self.full.root / "dbt.out").read_text(encoding="utf-8")
        assert self.process.returncode == 0, f"{self.context}: the full refresh failed:\n" + "\n".join(output.splitlines()[-40:])
        refreshed = relation_snapshot(self.full)
        assert sorted(self.expected) == sorted(refreshed), self.context
        differing = [relation for relation in refreshed if self.expected[relation] != refreshed[relation]]
        assert differing == [], self.context
        shutil.rmtree(self.full.root)


@pytest.fixture(autouse=True)
def _needs_the_sample() -> None:
    if not (SAMPLE / "gateway-2026-10.jsonl.gz").exists():
        pytest.skip("the bundled sample (data/sample) is missing")
