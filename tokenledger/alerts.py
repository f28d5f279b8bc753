"""Print budget and runaway-spend alerts for a scheduler (marts.fct_budget_status, audit.spend_anomalies).

    tokenledger alerts [--target duckdb|postgres|spark] [--db PATH] [--month YYYY-MM] [--format text|json]

One line per scope whose status or run-rate forecast is at or over a threshold, then one per spend
anomaly of the month: a team's daily spike over its 28-day baseline, and the month's most expensive
requests (text for people, JSON lines for machines, `kind` budget or spend_anomaly). The spend is shown
as published: spend_to_date_cents, a team's cents being those of its chargeback line (largest
remainder), never a re-rounding of the exact spend (and so is the forecast of a month that is over:
it is the spend); percentages with one decimal, utilisation truncated so it never shows a threshold
the status did not reach. Exit status:
0 nothing to report, 1 at least one warning (a budget warning or a daily spike), 2 at least one
critical budget, 3 the alerts could not be read (no warehouse, an unbuilt one, a writer holding it past
TOKENLEDGER_LOCK_WAIT, or the last dbt build failed and left the marts stale: common.last_build_problem): one line, on stderr for text, a {"kind": "error", ...} JSON line on stdout for
--format json; never a traceback. A forecast alone and the outlier requests are reported but never
raise the exit status. The month defaults to the latest month in the warehouse. `--target` names the
engine the marts were built on (default $DBT_TARGET, else duckdb; tokenledger.warehouse reads them). The
warehouse is read under its writer lock (common.warehouse_lock, postgres_lock or spark_lock, as export.py
reads it): during an ingest or a build the alerts wait for it (TOKENLEDGER_LOCK_WAIT) instead of reading
half-built marts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from tokenledger.common import (
    cents_to_dollars,
    last_build_problem,
    money,
    month_arg,
    percent,
    scalar,
)
from tokenledger.warehouse import WarehouseError, add_target_argument, label, open_marts, resolve_target

EXIT = {"ok": 0, "warning": 1, "critical": 2}
EXIT_ERROR = 3  # the alerts could not be read: distinct from every alert status
Fetched = tuple[date | None, list[dict[str, Any]], list[dict[str, Any]]]  # (month, budget alerts, anomalies)
COLUMNS = (
    "scope", "scope_id", "month", "as_of_date", "status", "forecast_status", "spend_to_date_usd",
    "monthly_budget_usd", "utilisation_pct", "forecast_usd", "forecast_utilisation_pct", "enforcement", "action_due",
    "spend_to_date_cents",
)  # fmt: skip


ANOMALY_COLUMNS = (
    "anomaly_kind", "month", "day", "team_id", "spend_usd", "baseline_median_usd", "baseline_days",
    "spend_vs_baseline_pct", "cost_rank", "event_key", "agent", "provider", "model_id", "uncached_input_tokens",
    "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "attempts",
)  # fmt: skip


# Every relation the alerts read (tokenledger.warehouse fetches these from Postgres or Spark).
RELATIONS = ("raw.build_runs", "marts.fct_team_monthly_spend", "marts.fct_budget_status", "audit.spend_anomalies")


class AlertsError(Exception):
    """The alerts cannot be read; the message is the one-line reason."""


def read_alerts(db: Path | None, month: date | None, target: str = "duckdb") -> Fetched:
    """The alerts of `target`'s marts, read under its writer lock, every failure turned into an AlertsError."""
    if target == "duckdb" and (db is None or not db.is_file()):
        raise AlertsError(f"no warehouse at {db} (ingest and build first)")
    where = label(target, db)
    with contextlib.ExitStack() as stack:
        try:
            con = stack.enter_context(open_marts(target, RELATIONS, db))
        except SystemExit as exc:  # the writer held it past TOKENLEDGER_LOCK_WAIT
            raise AlertsError(str(exc.code)) from None
        except WarehouseError as exc:
            raise AlertsError(str(exc)) from None
        except OSError as exc:
            raise AlertsError(f"cannot lock the warehouse {where}: {exc.strerror or exc}") from None
        except duckdb.Error as exc:
            raise AlertsError(f"cannot open the warehouse {where} ({_first_line(exc)})") from None
        try:
            return _fetch(con, month)
        except duckdb.Error as exc:
            raise AlertsError(f"cannot read the alerts from {where} ({_first_line(exc)}); build first: make build") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _fetch(con: duckdb.DuckDBPyConnection, month: date | None) -> Fetched:
    stale = last_build_problem(con)
    if stale is not None:
        raise AlertsError(stale)
    if month is None:
        month = scalar(con, "select max(month) from marts.fct_team_monthly_spend")
    rows = con.execute(
        f"select {', '.join(COLUMNS)} from marts.fct_budget_status "
        "where month = ? and (status <> 'ok' or forecast_status <> 'ok') "
        "order by case status when 'critical' then 0 when 'warning' then 1 else 2 end, scope, scope_id",
        [month],
    ).fetchall()
    anomalies = con.execute(
        f"select {', '.join(ANOMALY_COLUMNS)} from audit.spend_anomalies where month = ? "
        "order by anomaly_kind, cost_rank, day, team_id",
        [month],
    ).fetchall()
    return month, [dict(zip(COLUMNS, row)) for row in rows], [dict(zip(ANOMALY_COLUMNS, row)) for row in anomalies]


def severity(anomaly: dict[str, Any]) -> str:
    return "warning" if anomaly["anomaly_kind"] == "daily_spike" else "ok"


def anomaly_text(anomaly: dict[str, Any]) -> str:
    if anomaly["anomaly_kind"] == "daily_spike":
        ratio = percent(anomaly["spend_vs_baseline_pct"], none="no spend before")
        return (
            f"SPIKE    team {anomaly['team_id']} {anomaly['day']}: {money(anomaly['spend_usd'])} in the day, "
            f"28-day median {money(anomaly['baseline_median_usd'])} ({ratio} of it, {anomaly['baseline_days']} days of history)"
        )
    return (
        f"OUTLIER  #{anomaly['cost_rank']} {anomaly['day']} team {anomaly['team_id']}: {money(anomaly['spend_usd'])} "
        f"request {anomaly['event_key']} ({anomaly['agent'] or 'no agent'}, {anomaly['model_id'] or 'unknown model'}; "
        f"input {anomaly['uncached_input_tokens']}, cache read {anomaly['cache_read_tokens']}, "
        f"cache write {anomaly['cache_write_tokens']}, output {anomaly['output_tokens']}, {anomaly['attempts']} attempt(s))"
    )


def as_json(alert: dict[str, Any], kind: str = "budget") -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    return json.dumps({"kind": kind, **{key: plain(value) for key, value in alert.items()}}, sort_keys=True)


def forecast_text(alert: dict[str, Any]) -> str:
    """The month-end forecast for people; once the month is over (as of its last day) it is the spend, in its cents."""
    month: date = alert["month"]
    last_day = date(month.year + month.month // 12, month.month % 12 + 1, 1) - timedelta(days=1)
    if alert["as_of_date"] == last_day:
        return money(cents_to_dollars(alert["spend_to_date_cents"]))
    return money(alert["forecast_usd"])


def as_text(alert: dict[str, Any]) -> str:
    line = (
        f"{alert['status'].upper():8} {alert['scope']} {alert['scope_id']} {alert['month']:%Y-%m}: "
        f"{money(cents_to_dollars(alert['spend_to_date_cents']))} of {money(alert['monthly_budget_usd'])} "
        f"({percent(alert['utilisation_pct'], floor=True)}) as of {alert['as_of_date']}, "
        f"forecast {forecast_text(alert)} ({alert['forecast_status']})"
    )
    return line + (f"; action due: {alert['action_due']}" if alert["action_due"] else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger alerts", description=__doc__.splitlines()[0])
    add_target_argument(parser)
    parser.add_argument("--db", type=Path, default=None,
                        help="the DuckDB warehouse file (default: $TOKENLEDGER_DB, else warehouse/tokenledger.duckdb)")
    parser.add_argument("--month", type=month_arg, help="YYYY-MM (default: the latest month)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    resolve_target(parser, args)
    try:
        month, alerts, anomalies = read_alerts(args.db, args.month, args.target)
    except AlertsError as exc:
        if args.format == "json":
            print(json.dumps({"kind": "error", "message": f"alerts: {exc}"}, sort_keys=True))
        else:
            print(f"alerts: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for alert in alerts:
        print(as_json(alert) if args.format == "json" else as_text(alert))
    if args.format == "text" and not alerts:
        print(f"tokenledger: no budget alerts for {month:%Y-%m}" if month else "tokenledger: no data yet")
    for anomaly in anomalies:
        print(as_json(anomaly, "spend_anomaly") if args.format == "json" else anomaly_text(anomaly))
    statuses = [alert["status"] for alert in alerts] + [severity(anomaly) for anomaly in anomalies]
    return max((EXIT[status] for status in statuses), default=0)


if __name__ == "__main__":
    sys.exit(main())
