"""The `tokenledger` command: one entry point, one subcommand per task.

    tokenledger COMMAND [ARGS ...]      tokenledger COMMAND --help      tokenledger --help

Each subcommand is a module of this package with its own `main(argv) -> int` and `--help`; this module
only dispatches (imports are lazy, so `tokenledger --help` stays instant).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from tokenledger import __version__

# name -> (module, one-line description), in the order a new user meets them.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("tokenledger.orgfiles", "write an empty organisation folder: every org file with its header, and a README"),
    "validate": ("tokenledger.validate", "check the organisation folder in seconds: one line per problem, file:row:column"),
    "ingest": ("tokenledger.ingest", "land usage and cost exports in the warehouse's raw schema (idempotent)"),
    "unload": ("tokenledger.unload", "remove a load from the ledger, recorded with who, when and why"),
    "build": ("tokenledger.build", "validate, then dbt build under the writer lock (quiet; full log under logs/)"),
    "run": ("tokenledger.build", "ingest (the sample by default), build, print the summary"),
    "summary": ("tokenledger.summary", "the latest complete month's spend per team and agent, and the build's checks"),
    "export": ("tokenledger.export", "a month's chargeback CSV / XLSX, the allocation memo, the FOCUS export"),
    "report": ("tokenledger.report", "a month's chargeback report as one offline HTML page (and PDF)"),
    "alerts": ("tokenledger.alerts", "budget and runaway-spend alerts for a scheduler (exit status by severity)"),
    "close": ("tokenledger.close", "close a month (or list the closed months): its published lines stop moving"),
    "prices": ("tokenledger.prices", "show a model's effective prices, or re-export the pinned price catalog"),
    "query": ("tokenledger.query", "run one SQL statement on a target's warehouse and print the result as CSV"),
    "dbt": ("tokenledger.dbt_runner", "any dbt command against the warehouse, with the writer lock held"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [
        f"tokenledger {__version__}: per-team monthly AI spend from raw usage exports",
        "",
        "usage: tokenledger COMMAND [ARGS ...]   (tokenledger COMMAND --help for a command's options)",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()),
        "",
        "The organisation folder is --org DIR or TOKENLEDGER_ORG (default: the bundled sample's, data/sample/org);",
        "the warehouse is --db PATH or TOKENLEDGER_DB (default warehouse/tokenledger.duckdb), or --target postgres|spark",
        "(default: DBT_TARGET, else duckdb). See README.md.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if args else 2
    if args[0] == "--version":
        print(__version__)
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"tokenledger: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    if name == "run":
        return int(module.run_main(rest))
    return int(module.main(rest))


if __name__ == "__main__":
    raise SystemExit(main())
