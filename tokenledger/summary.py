"""Print a short summary of the warehouse after a build (used by `make run`).

    tokenledger summary [--db PATH]

Shows the latest month's spend per team (with the confidence mix) and per agent, unpriced events, rejected rows and
duplicates, and whether the last dbt build's tests (the reconciliation tests among them) passed,
read from target/run_results.json. The warehouse is read under its writer lock (common.warehouse_lock,
waiting for a running ingest or build up to TOKENLEDGER_LOCK_WAIT). Exit 0, or 1 with one line on
stderr (`summary: ...`, never a traceback) when the warehouse is missing, unbuilt or busy; and 1 after the
summary, with one line on stderr, when the last dbt build failed (common.last_build_problem: stale marts).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb

from tokenledger.common import (
    PROJECT_ROOT,
    connect,
    default_db_path,
    first_row,
    last_build_problem,
    money,
    scalar,
    warehouse_lock,
)

RECONCILIATION_TESTS = (
    "assert_raw_rows_conserved",
    "assert_allocations_sum_to_event_cost",
    "assert_monthly_cents_tie_to_month_total",
    "tl_sums_equal_fct_team_monthly_spend",
)


def percent(part: Decimal, whole: Decimal) -> str:
    return "-" if not whole else f"{(part / whole * 100).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}"


def table(title: str, header: tuple[str, ...], rows: Sequence[Sequence[object]]) -> None:
    print(f"\n{title}")
    cells = [header, *[tuple("" if v is None else str(v) for v in row) for row in rows]]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    for index, row in enumerate(cells):
        print("  " + "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def test_results(path: Path) -> tuple[int, list[str], list[str]]:
    """(tests run, names that failed or errored, names that only warned) from dbt's run_results.json."""
    if not path.exists():
        return 0, [], []
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    tests = [r for r in results if r["unique_id"].startswith(("test.", "unit_test."))]

    def name(result: dict[str, Any]) -> str:
        return str(result["unique_id"]).split(".")[-1]

    failed = [name(r) for r in tests if r["status"] in ("fail", "error")]
    warned = [name(r) for r in tests if r["status"] == "warn"]
    return len(tests), failed, warned


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger summary", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=default_db_path())
    parser.add_argument("--run-results", type=Path, default=PROJECT_ROOT / "target" / "run_results.json",
                        help="dbt's run_results.json of the last build")
    args = parser.parse_args(argv)
    if not args.db.is_file():
        print(f"summary: no warehouse at {args.db} (ingest and build first)", file=sys.stderr)
        return 1
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(warehouse_lock(args.db))
            con = stack.enter_context(connect(args.db, read_only=True))
            return summarise(con, args)
        except SystemExit as exc:  # the writer lock was not had within TOKENLEDGER_LOCK_WAIT
            print(f"summary: {exc.code}", file=sys.stderr)
        except (duckdb.Error, OSError, ValueError, KeyError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            print(f"summary: cannot read the warehouse {args.db} ({reason}); build first: make build", file=sys.stderr)
    return 1


def summarise(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    latest = scalar(con, "select max(month) from marts.fct_usage_events")
    if latest is None:
        print("tokenledger: the warehouse has no usage events yet (ingest some exports, then build).")
        return 0
    print(f"tokenledger summary — warehouse {args.db}, latest month {latest:%Y-%m}")
    per_team = con.execute(
        """
        select team_id, rollup_team_id, events, cost_cents, cost_usd, cost_high_usd, cost_medium_usd, cost_low_usd,
               unpriced_events
        from marts.fct_team_monthly_spend where month = ? order by cost_usd desc, team_id
        """,
        [latest],
    ).fetchall()
    rows = []
    for team, rollup, events, cents, cost, high, medium, low, unpriced in per_team:
        mix = "/".join(percent(part, cost) for part in (high, medium, low))
        rows.append((team if rollup == team else f"{team} (-> {rollup})", events, money(Decimal(cents) / 100), mix, unpriced))
    total_cents = sum(r[3] for r in per_team)
    rows.append(("total", sum(r[2] for r in per_team), money(Decimal(total_cents) / 100), "", sum(r[8] for r in per_team)))
    table("Spend by team (fct_team_monthly_spend)", ("team", "events", "cost", "high/med/low %", "unpriced"), rows)
    per_agent = con.execute(
        """
        select coalesce(agent, '(no agent)'), count(*), sum(list_cost_usd)
        from marts.fct_usage_events where month = ? group by 1 order by 3 desc nulls last, 1 limit 10
        """,
        [latest],
    ).fetchall()
    table("Top agents", ("agent", "events", "list cost"), [(a, n, money(c)) for a, n, c in per_agent])
    unpriced = con.execute("select unpriced_reason, model_requested, count(*) from audit.unpriced_events group by 1, 2 order by 3 desc").fetchall()
    table("Unpriced events (all months)", ("reason", "model", "events"), unpriced)
    rejected = con.execute("select source, reject_reason, count(*) from audit.rejected_rows group by 1, 2 order by 1, 3 desc").fetchall()
    table("Rejected rows (audit.rejected_rows)", ("source", "reason", "rows"), rejected)
    ownership = {
        name: scalar(con, f"select count(*) from audit.{name}")
        for name in ("unattributed_events", "unknown_team_tags", "orphan_agents", "stale_agents", "unknown_api_keys",
                     "shared_logins")
    }
    print("\nOwnership audit: " + ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in ownership.items()))
    budgets = dict(con.execute(
        "select status, count(*) from marts.fct_budget_status where month = ? group by 1", [latest]).fetchall())
    print(f"Budgets {latest:%Y-%m}: {budgets.get('critical', 0)} critical, {budgets.get('warning', 0)} warning, "
          f"{budgets.get('ok', 0)} ok (details: tokenledger alerts)")
    dup = first_row(con, "select count(*), count(*) filter (where is_conflict) from audit.duplicate_records")
    retries = first_row(con, "select count(*), coalesce(sum(non_final_attempts_cost_usd), 0) from audit.retry_groups")
    print(f"\nDuplicates collapsed: {dup[0]} ({dup[1]} conflicting copies); retry groups: {retries[0]} "
          f"(non-final attempts cost {money(retries[1])})")
    total, failed, warned = test_results(args.run_results)
    if total == 0:
        print("Tests: no dbt run results found (run `make build`).")
    else:
        recon = [n for n in failed if any(n.startswith(t) for t in RECONCILIATION_TESTS)]
        print(f"Tests: {total - len(failed) - len(warned)}/{total} passed, {len(warned)} warning(s), {len(failed)} failed "
              f"(data and unit tests); reconciliation {'FAILED' if recon else 'passed'}")
        for test_name in failed:
            print(f"  failed: {test_name}")
        for test_name in warned:
            print(f"  warning: {test_name}")
    stale = last_build_problem(con)
    if stale is not None:  # the figures above are what the marts hold, not a clean build's: say so and fail
        print(f"tokenledger: {stale}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
