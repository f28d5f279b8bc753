"""Print budget alerts for a scheduler, from marts.fct_budget_status.

    python scripts/alerts.py [--db PATH] [--month YYYY-MM] [--format text|json]

One line per scope whose status or run-rate forecast is at or over a threshold (text for people,
JSON lines for machines). Exit status: 0 every budget ok, 1 at least one warning, 2 at least one
critical (from the spend-to-date status; a forecast alone warns in the output but never raises the
exit status). The month defaults to the latest month in the warehouse.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import connect, default_db_path, money

EXIT = {"ok": 0, "warning": 1, "critical": 2}
COLUMNS = (
    "scope", "scope_id", "month", "as_of_date", "status", "forecast_status", "spend_to_date_usd",
    "monthly_budget_usd", "utilisation_pct", "forecast_usd", "forecast_utilisation_pct", "enforcement", "action_due",
)  # fmt: skip


def month_arg(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from None


def fetch(db: Path, month: date | None) -> tuple[date | None, list[dict[str, Any]]]:
    con = connect(db, read_only=True)
    if month is None:
        month = con.execute("select max(month) from marts.fct_budget_status").fetchone()[0]
    rows = con.execute(
        f"select {', '.join(COLUMNS)} from marts.fct_budget_status "
        "where month = ? and (status <> 'ok' or forecast_status <> 'ok') "
        "order by case status when 'critical' then 0 when 'warning' then 1 else 2 end, scope, scope_id",
        [month],
    ).fetchall()
    return month, [dict(zip(COLUMNS, row)) for row in rows]


def as_json(alert: dict[str, Any]) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    return json.dumps({"kind": "budget", **{key: plain(value) for key, value in alert.items()}}, sort_keys=True)


def as_text(alert: dict[str, Any]) -> str:
    line = (
        f"{alert['status'].upper():8} {alert['scope']} {alert['scope_id']} {alert['month']:%Y-%m}: "
        f"{money(alert['spend_to_date_usd'])} of {money(alert['monthly_budget_usd'])} "
        f"({alert['utilisation_pct']}%) as of {alert['as_of_date']}, "
        f"forecast {money(alert['forecast_usd'])} ({alert['forecast_status']})"
    )
    return line + (f"; action due: {alert['action_due']}" if alert["action_due"] else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=default_db_path())
    parser.add_argument("--month", type=month_arg, help="YYYY-MM (default: the latest month)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    month, alerts = fetch(args.db, args.month)
    for alert in alerts:
        print(as_json(alert) if args.format == "json" else as_text(alert))
    if args.format == "text" and not alerts:
        print(f"tokenledger: no budget alerts for {month:%Y-%m}" if month else "tokenledger: no budget data yet")
    return max((EXIT[alert["status"]] for alert in alerts), default=0)


if __name__ == "__main__":
    sys.exit(main())
