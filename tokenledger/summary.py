"""Print a short summary of the warehouse after a build (`tokenledger run` ends with it).

    tokenledger summary [--target duckdb|postgres|spark] [--db PATH] [--month YYYY-MM]

Shows one month's spend per team (name beside id, published cents, the confidence mix) and its top
agents, then the checks: unpriced events, rejected rows, the ownership audit, budgets, duplicates and
retries, and the tests of the last dbt build (raw.build_results, written by that build's own on-run-end
hook: never a results file another dbt command overwrote). The month defaults to the latest complete
month with events (the latest month before the current UTC month; the current month only when it is the
only one, marked "in progress"). `--target` names the engine the marts were built on (default $DBT_TARGET,
else duckdb; tokenledger.warehouse reads them, the same figures on every engine). The warehouse is read
under its writer lock (common.warehouse_lock, postgres_lock or spark_lock, waiting for a running ingest or
build up to TOKENLEDGER_LOCK_WAIT). Exit 0, or 1 with one line on
stderr (`summary: ...`, never a traceback) when the warehouse is missing, unbuilt or busy; and 1 after the
summary, with one line on stderr, when the last dbt build failed (common.last_build_problem: stale marts).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from tokenledger.common import (
    cents_to_dollars,
    first_row,
    last_build_problem,
    money,
    month_arg,
    scalar,
)
from tokenledger.warehouse import WarehouseError, add_target_argument, open_marts, resolve_target
from tokenledger.warehouse import label as target_label

RECONCILIATION_TESTS = (
    "assert_raw_rows_conserved",
    "assert_allocations_sum_to_event_cost",
    "assert_monthly_cents_tie_to_month_total",
    "tl_sums_equal_fct_team_monthly_spend",
)
OWNERSHIP_AUDITS = ("unattributed_events", "unknown_team_tags", "orphan_agents", "stale_agents", "unknown_api_keys",
                    "shared_logins")
# Every relation the summary reads (tokenledger.warehouse fetches these from Postgres or Spark).
RELATIONS = (
    "raw.build_runs", "raw.build_results", "marts.fct_team_monthly_spend", "marts.dim_teams", "marts.fct_usage_events",
    "marts.fct_budget_status", "audit.unpriced_events", "audit.rejected_rows", "audit.duplicate_records",
    "audit.retry_groups", *(f"audit.{name}" for name in OWNERSHIP_AUDITS),
)  # fmt: skip


def percent(part: Decimal | None, whole: Decimal | None) -> str:
    """A share for people: one decimal, half-up; '-' when the whole is zero."""
    if not whole:
        return "-"
    return f"{(Decimal(part or 0) / whole * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"


def table(title: str, header: tuple[str, ...], rows: Sequence[Sequence[object]]) -> None:
    print(f"\n{title}")
    cells = [header, *[tuple("" if v is None else str(v) for v in row) for row in rows]]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    for index, row in enumerate(cells):
        print("  " + "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def default_month(con: duckdb.DuckDBPyConnection, today: date) -> tuple[date | None, bool]:
    """(the latest complete month with events, False), else (the current month, True: in progress)."""
    this_month = today.replace(day=1)
    complete = scalar(con, "select max(month) from marts.fct_team_monthly_spend where month < ?", [this_month])
    if complete is not None:
        return complete, False
    latest = scalar(con, "select max(month) from marts.fct_team_monthly_spend")
    return latest, latest is not None


def build_tests(con: duckdb.DuckDBPyConnection) -> tuple[str | None, list[tuple[str, str]]] | None:
    """(command and time, [(test name, status)]) of the last recorded dbt build / run / test; None when
    the warehouse has no record (built before the record existed)."""
    has_results = scalar(con, "select count(*) from information_schema.tables where table_schema = 'raw' "
                              "and table_name = 'build_results'")
    if not has_results:
        return None
    last = con.execute("select invocation_id, command, finished_at from raw.build_runs "
                       "order by finished_at desc limit 1").fetchone()
    if last is None:
        return None
    rows = con.execute(
        "select unique_id, status from raw.build_results where invocation_id = ? "
        "and resource_type in ('test', 'unit_test') order by unique_id", [last[0]]).fetchall()
    return f"dbt {last[1]} at {last[2]:%Y-%m-%d %H:%M} UTC", [(str(uid).split(".")[-1], str(status)) for uid, status in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger summary", description=__doc__.splitlines()[0])
    add_target_argument(parser)
    parser.add_argument("--db", type=Path, default=None,
                        help="the DuckDB warehouse file (default: $TOKENLEDGER_DB, else warehouse/tokenledger.duckdb)")
    parser.add_argument("--month", type=month_arg, default=None,
                        help="YYYY-MM (default: the latest complete month with events)")
    args = parser.parse_args(argv)
    resolve_target(parser, args)
    if args.target == "duckdb" and not args.db.is_file():
        print(f"summary: no warehouse at {args.db} (ingest and build first)", file=sys.stderr)
        return 1
    where = target_label(args.target, args.db)
    with contextlib.ExitStack() as stack:
        try:
            con = stack.enter_context(open_marts(args.target, RELATIONS, args.db))
            return summarise(con, args)
        except SystemExit as exc:  # the writer lock was not had within TOKENLEDGER_LOCK_WAIT
            print(f"summary: {exc.code}", file=sys.stderr)
        except WarehouseError as exc:
            print(f"summary: {exc}", file=sys.stderr)
        except (duckdb.Error, OSError, ValueError, KeyError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            print(f"summary: cannot read the warehouse {where} ({reason}); build first: tokenledger build",
                  file=sys.stderr)
    return 1


def warehouse_label(args: argparse.Namespace) -> str:
    """The warehouse the summary read, for its title line: the DuckDB file, or the target's location."""
    target = getattr(args, "target", "duckdb")
    return str(args.db) if target == "duckdb" else target_label(target)


def summarise(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> int:
    in_progress = False
    month = args.month
    if month is None:
        month, in_progress = default_month(con, datetime.now(UTC).date())
    if month is None:
        print("tokenledger: the warehouse has no usage events yet (ingest some exports, then build).")
        return 0
    label = f"{month:%Y-%m}" + (" (in progress)" if in_progress else "")
    print(f"tokenledger summary — {label} — warehouse {warehouse_label(args)}")
    per_team = con.execute(
        """
        select spend.team_id, coalesce(teams.team_name, spend.team_id), spend.rollup_team_id, spend.events,
               spend.cost_cents, spend.cost_usd, spend.cost_high_usd, spend.cost_medium_usd, spend.cost_low_usd,
               spend.unpriced_events
        from marts.fct_team_monthly_spend as spend
        left join marts.dim_teams as teams on teams.team_id = spend.team_id
        where spend.month = ? order by spend.cost_usd desc, spend.team_id
        """,
        [month],
    ).fetchall()
    rows = []
    for team, name, rollup, events, cents, cost, high, medium, low, unpriced in per_team:
        shown = team if name == team else f"{team} ({name})"
        mix = "/".join(percent(part, cost) for part in (high, medium, low))
        rows.append((shown if rollup == team else f"{shown} -> {rollup}", events, money(cents_to_dollars(cents)), mix,
                     unpriced))
    total_cents = sum(r[4] for r in per_team)
    rows.append(("total", sum(r[3] for r in per_team), money(cents_to_dollars(total_cents)), "",
                 sum(r[9] for r in per_team)))
    table("Spend by team (published cents; events = billed usage events)",
          ("team", "events", "cost", "high/med/low %", "unpriced"), rows)
    per_agent = con.execute(
        """
        select coalesce(agent, '(no agent)'), count(*), sum(list_cost_usd)
        from marts.fct_usage_events where month = ? group by 1 order by 3 desc nulls last, 1 limit 5
        """,
        [month],
    ).fetchall()
    table("Top agents (list price)", ("agent", "requests", "list cost"), [(a, n, money(c)) for a, n, c in per_agent])
    print()
    unpriced = con.execute("select model_requested, count(*) from audit.unpriced_events where month = ? "
                           "group by 1 order by 2 desc, 1 limit 3", [month]).fetchall()
    unpriced_total = sum(r[9] for r in per_team)  # as the team table counts them
    print(f"Unpriced events: {unpriced_total}" + (" (" + ", ".join(f"{m} {n}" for m, n in unpriced) + ")" if unpriced else "")
          + " — audit.unpriced_events")
    rejected = con.execute("select source, count(*) from audit.rejected_rows group by 1 order by 2 desc, 1").fetchall()
    print(f"Rejected rows (all loads): {sum(n for _, n in rejected)}"
          + (" (" + ", ".join(f"{s} {n}" for s, n in rejected) + ")" if rejected else "") + " — audit.rejected_rows")
    ownership = {name: scalar(con, f"select count(*) from audit.{name}") for name in OWNERSHIP_AUDITS}
    print("Ownership audit: " + ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in ownership.items()))
    budgets = dict(con.execute(
        "select status, count(*) from marts.fct_budget_status where month = ? group by 1", [month]).fetchall())
    print(f"Budgets {month:%Y-%m}: {budgets.get('critical', 0)} critical, {budgets.get('warning', 0)} warning, "
          f"{budgets.get('ok', 0)} ok (details: tokenledger alerts --month {month:%Y-%m})")
    dup = first_row(con, "select count(*), count(*) filter (where is_conflict) from audit.duplicate_records")
    retries = first_row(con, "select count(*), coalesce(sum(non_final_attempts_cost_usd), 0) from audit.retry_groups")
    print(f"Duplicates collapsed: {dup[0]} ({dup[1]} conflicting copies); retry groups: {retries[0]} "
          f"(non-final attempts cost {money(retries[1])})")
    recorded = build_tests(con)
    if recorded is None or not recorded[1]:
        print("Tests: no test results recorded for the last build (run `tokenledger build`).")
    else:
        when, results = recorded
        failed = [name for name, status in results if status in ("fail", "error")]
        warned = [name for name, status in results if status == "warn"]
        recon = [n for n in failed if n.startswith(RECONCILIATION_TESTS)]
        print(f"Tests ({when}): {len(results) - len(failed) - len(warned)}/{len(results)} passed, "
              f"{len(warned)} warning(s), {len(failed)} failed; reconciliation {'FAILED' if recon else 'passed'}")
        for test_name in failed[:10]:
            print(f"  failed: {test_name}")
        for test_name in warned[:10]:
            print(f"  warning: {test_name}")
    stale = last_build_problem(con)
    if stale is not None:  # the figures above are what the marts hold, not a clean build's: say so and fail
        print(f"tokenledger: {stale}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
