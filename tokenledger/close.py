"""`tokenledger close`: close a month, or list the closed months.

    tokenledger close MONTH --by EMAIL [--org DIR]
    tokenledger close --list [--org DIR]

Closing appends `MONTH,<today, UTC>,EMAIL` to the organisation folder's closed_months.csv, by the header's
column names (month, closed_on, closed_by; any other column is left empty), never by position. A month
already closed, or one that has not ended yet (UTC), is refused. The next `tokenledger build` publishes the
month's per-team lines (marts.published_team_monthly_spend); from then on they never move except through a
restatement (restatements.csv).

Exit status: 0 closed (or listed), 1 refused (already closed, not ended, or closed_months.csv unusable),
2 usage error.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from tokenledger.common import add_org_argument, month_arg, org_dir
from tokenledger.orgfiles import ORG_FILES, read_org_file

FILE_NAME = "closed_months.csv"
COLUMNS = ("month", "closed_on", "closed_by")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})")


def today_utc() -> date:
    return datetime.now(UTC).date()


def month_of(text: str) -> date | None:
    """The month a closed_months.csv `month` value names (YYYY-MM, or any date in it); None when unreadable."""
    match = _MONTH.match(text)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def closed_months(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """closed_months.csv by header name, names lower-cased: (header, rows); a missing file has the schema's
    header and no row."""
    if not path.exists():
        return [column.name for column in ORG_FILES["closed_months"].columns], []
    header, rows = read_org_file(path)
    return [name.lower() for name in header], [{key.lower(): value for key, value in row.values.items()} for row in rows]


def list_closed(path: Path) -> int:
    header, rows = closed_months(path)
    if "month" not in header:
        print(f"close: {path}: no `month` column in the header ({', '.join(header) or 'empty'})", file=sys.stderr)
        return 1
    for row in sorted(rows, key=lambda r: (month_of(r.get("month", "")) or date.min, r.get("month", ""))):
        month = month_of(row.get("month", ""))
        shown = f"{month:%Y-%m}" if month else row.get("month", "").strip()
        print(f"{shown}  closed on {row.get('closed_on', '').strip() or '?'} by {row.get('closed_by', '').strip() or '?'}")
    if not rows:
        print(f"close: no closed month in {path}", file=sys.stderr)
    return 0


def append_row(path: Path, header: Sequence[str], values: dict[str, str]) -> None:
    """One CSV record in the header's column order (a column the row does not name stays empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not path.exists():
        writer.writerow(header)
    writer.writerow([values.get(name, "") for name in header])
    with path.open("a+b") as handle:
        handle.seek(0, 2)
        if handle.tell() > 0:
            handle.seek(-1, 2)
            if handle.read(1) not in (b"\n", b"\r"):
                handle.write(b"\n")  # the last record had no line end
        handle.write(buffer.getvalue().encode("utf-8"))


def close_month(path: Path, month: date, by: str, today: date) -> tuple[int, str]:
    """Append the close of `month` to closed_months.csv at `path`; (exit status, the one-line message)."""
    label = f"{month:%Y-%m}"
    if next_month(month) > today:
        return 1, f"close: {label} has not ended yet (today is {today.isoformat()} UTC): close it from {next_month(month).isoformat()} on"
    header, rows = closed_months(path)
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        return 1, f"close: {path}: the header has no {', '.join(missing)} column ({', '.join(header) or 'empty'})"
    for row in rows:
        if month_of(row.get("month", "")) == month:
            return 1, (f"close: {label} is already closed (on {row.get('closed_on', '').strip() or '?'} by "
                       f"{row.get('closed_by', '').strip() or '?'}); to change a published month, add a restatement")
    append_row(path, header, {"month": label, "closed_on": today.isoformat(), "closed_by": by})
    return 0, (f"closed {label} in {path} (closed on {today.isoformat()} by {by}); "
               "run `tokenledger build` to publish its lines")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tokenledger close",
        description="Close a month: append it to the organisation folder's closed_months.csv (by header name), "
        "then `tokenledger build` publishes its per-team lines, which never move again except through a restatement.",
    )
    parser.add_argument("month", nargs="?", type=month_arg, metavar="MONTH", help="the month to close, YYYY-MM")
    parser.add_argument("--by", metavar="EMAIL", help="who closes it (recorded as closed_by; required to close)")
    parser.add_argument("--list", action="store_true", help="print the closed months instead")
    add_org_argument(parser)
    args = parser.parse_args(argv)
    if args.list and (args.month is not None or args.by is not None):
        parser.error("--list takes no MONTH or --by")
    if not args.list:
        if args.month is None:
            parser.error("give the MONTH to close (YYYY-MM), or --list")
        if args.by is None or not args.by.strip():
            parser.error("--by EMAIL is required: who closes the month")
        if any(ch in args.by for ch in "\r\n"):
            parser.error("--by must be one line")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    org = org_dir(args.org)
    if not org.is_dir():
        print(f"close: no organisation folder at {org} (tokenledger init DIR writes one)", file=sys.stderr)
        return 1
    path = org / FILE_NAME
    if args.list:
        return list_closed(path)
    status, message = close_month(path, args.month, args.by.strip(), today_utc())
    print(message, file=sys.stdout if status == 0 else sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
