"""`tokenledger build` and `tokenledger run`: validate the organisation, (ingest,) dbt build, (summary).

    tokenledger build [--org DIR] [--target duckdb|postgres|spark] [--db PATH] [--verbose] [--skip-validate] [--scheduled]
                      [-- DBT ARGS ...]
    tokenledger run   [--org DIR] [--target duckdb|postgres|spark] [--db PATH] [--verbose] [PATH ...]

`build` checks the organisation folder first (tokenledger.validate: a problem stops it before dbt starts,
exit 1), then runs `dbt build` under the warehouse's writer lock (tokenledger.dbt_runner). `run` does the
same after ingesting PATH ... (default: the bundled sample, data/sample, when the organisation is the
sample's; nothing otherwise) and prints the summary at the end, also when a data test failed.
`--target` (default $DBT_TARGET, else duckdb) is passed through to every step: `ingest --target T`,
`dbt build --target T` (under that target's writer lock) and `summary --target T`; `--db` is the DuckDB
file and cannot be combined with another target.

`build --scheduled` is the nightly build: it leaves out dbt's unit tests and scopes the data tests of the
facts rebuilt a month at a time to the months this build rebuilt (env TOKENLEDGER_TEST_SCOPE=rebuilt, read by
macros/incremental/rebuilt_months.sql). Without it (and in CI) every test reads every row.

The console is quiet: one line per phase with its elapsed time (validate, ingest, build), the problems
that need a person (refused files, failed or warning tests, errors), then the summary. dbt's whole log
always goes to `logs/tokenledger-<UTC time>.log` (named on the console); `--verbose` also streams it.
On a terminal the build's line is a live counter and failures are coloured; without one (a scheduler)
every line is plain text.

Exit status (the README's "Exit codes"): 0 success (warnings allowed); 1 a problem in the organisation
folder, a refused file, or a failed data test / model error; 2 the warehouse cannot be opened or the
command line is wrong; 128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from tokenledger.common import PROJECT_ROOT, SAMPLE_DATA, SAMPLE_ORG, add_org_argument, default_db_path, org_dir
from tokenledger.dbt_runner import target as dbt_target
from tokenledger.warehouse import add_target_argument, resolve_target

LOG_DIR = PROJECT_ROOT / "logs"
# `  12 of 412 OK created sql table model marts.fct_x ... [OK in 0.31s]`, `... PASS tl_castable_... [PASS in 0.1s]`
_RESULT = re.compile(r"^\S*\s+(\d+) of (\d+) (START|OK|PASS|WARN|FAIL|ERROR|SKIP)\b(.*)$")
_KINDS = (("seed", "seeds"), ("snapshot", "snapshots"), ("unit_test", "unit tests"), ("test", "data tests"),
          ("model", "models"))
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DOTS = re.compile(r" \.{2,}.*$")  # dbt's ` ...... [PASS in 0.1s]` tail


def _kind(text: str) -> str:
    """The node kind of a dbt START line's text ('seed file', 'sql table model', 'test', 'unit_test')."""
    for needle, kind in _KINDS:
        if re.search(rf"\b{needle}\b", text):
            return kind
    return "models"


def _elapsed(started: float) -> str:
    seconds = time.monotonic() - started
    return f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


@dataclass
class Console:
    """Where the console lines go: plain on a pipe, coloured (and a live build counter) on a terminal."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    verbose: bool = False

    @property
    def tty(self) -> bool:
        return self.out.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"

    def line(self, text: str, colour: str | None = None) -> None:
        codes = {"red": "31", "yellow": "33", "green": "32", "bold": "1"}
        if self.tty and colour:
            text = f"\x1b[{codes[colour]}m{text}\x1b[0m"
        print(text, file=self.out, flush=True)

    def live(self, text: str) -> None:
        if self.tty and not self.verbose:
            print(f"\r\x1b[2K{text}", end="", file=self.out, flush=True)

    def end_live(self) -> None:
        if self.tty and not self.verbose:
            print("\r\x1b[2K", end="", file=self.out, flush=True)


def new_log_path() -> Path:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return LOG_DIR / f"tokenledger-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}.log"


# `tokenledger build --scheduled`: dbt's unit tests check the SQL, not the data, and run in CI.
SCHEDULED_ARGS = ("--exclude-resource-type", "unit_test")


def target_args(target: str, db: Path) -> list[str]:
    """The warehouse arguments of a step: the DuckDB file, or the target (every other engine is found by its env)."""
    return ["--db", str(db)] if target == "duckdb" else ["--target", target]


def environment(org: Path, db: Path) -> dict[str, str]:
    """The environment every step runs in: the organisation folder and the warehouse, absolute."""
    return {**os.environ, "TOKENLEDGER_ORG": str(org), "TOKENLEDGER_DB": str(db)}


def validate_org(org: Path, console: Console) -> bool:
    """The organisation folder's check (tokenledger.validate); prints the problems; True when there is no error."""
    from tokenledger import validate

    started = time.monotonic()
    problems = validate.check(org)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        console.line(str(problem), "red" if problem.severity == "error" else "yellow")
    from tokenledger.orgfiles import ORG_FILES

    files = len(ORG_FILES)
    verdict = f"{len(errors)} error(s)" + (f", {len(problems) - len(errors)} warning(s)" if len(problems) > len(errors) else "")
    console.line(f"validate: {org} ({files} org files): {verdict} ({_elapsed(started)})", "red" if errors else None)
    return not errors


def ingest(paths: list[str], env: dict[str, str], log: TextIO, console: Console, target: str = "duckdb") -> int:
    """`tokenledger ingest PATH ...` as a child process: its lines to the log, one line on the console."""
    started = time.monotonic()
    command = [sys.executable, "-m", "tokenledger", "ingest", *target_args(target, Path(env["TOKENLEDGER_DB"])), *paths]
    log.write(f"$ {' '.join(command)}\n")
    proc = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    log.write(proc.stdout + proc.stderr)
    counts: Counter[str] = Counter()
    rows = 0
    for text in proc.stdout.splitlines():
        status = text.split(" ", 1)[0]
        counts[status] += 1
        if status == "loaded":
            match = re.search(r": (\d+) rows", text)
            rows += int(match.group(1)) if match else 0
        elif status == "refused" or console.verbose:
            console.line(text, "red" if status == "refused" else None)
    for text in proc.stderr.splitlines():
        if not text.startswith(("refused ", "loaded ")):
            console.line(text, "red")
    files = sum(counts.values())
    console.line(f"ingest: {files} file(s): {counts['loaded']} loaded ({rows:,} rows), {counts['skipped']} already "
                 f"loaded, {counts['refused']} refused ({_elapsed(started)})", "red" if proc.returncode else None)
    return proc.returncode


def dbt_build(dbt_args: list[str], env: dict[str, str], log: TextIO, console: Console, target: str = "duckdb") -> int:
    """`dbt build` under the writer lock: every line to the log, a counter and the problems on the console."""
    started = time.monotonic()
    named = [] if dbt_target(dbt_args) is not None else ["--target", target]
    command = [sys.executable, "-m", "tokenledger", "dbt", "build", *named, *dbt_args]
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    child_env = {**env, "DBT_USE_COLORS": "false", "DBT_PRINTER_WIDTH": "100"}
    totals: Counter[str] = Counter()
    done: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    kinds: dict[str, str] = {}
    problems: list[str] = []
    total_nodes = 0
    proc = subprocess.Popen(command, cwd=PROJECT_ROOT, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            log.write(raw)
            text = _ANSI.sub("", raw.rstrip("\n"))
            if console.verbose:
                console.line(text)
            match = _RESULT.match(text)
            if match is None:
                if re.search(r"\b(Compilation|Runtime|Parsing|Database) Error\b|^\S*\s+Encountered an error", text):
                    problems.append(text.split("  ", 1)[-1].strip())
                continue
            index, total_nodes, status, rest = match.group(1), int(match.group(2)), match.group(3), match.group(4)
            if status == "START":
                kind = _kind(rest)
                kinds[index] = kind
                totals[kind] += 1
                continue
            kind = kinds.get(index, "models")
            done[kind] += 1
            outcomes[status] += 1
            if status in ("WARN", "FAIL", "ERROR"):
                problems.append(f"{status.lower()}: {_DOTS.sub('', rest).strip()}")
            console.live(f"build: {sum(done.values())}/{total_nodes} nodes ({_elapsed(started)})")
        code = proc.wait()
    except KeyboardInterrupt:  # the runner forwards the signal to dbt; wait for it to stop
        code = proc.wait()
    console.end_live()
    parts = ", ".join(f"{done[kind]} {kind}" for _, kind in _KINDS if totals[kind])
    verdict = (f"{outcomes['WARN']} warning(s), {outcomes['FAIL']} failed test(s), {outcomes['ERROR']} error(s), "
               f"{outcomes['SKIP']} skipped")
    colour = "red" if code else ("yellow" if outcomes["WARN"] else "green")
    console.line(f"build: {parts or 'nothing built'}: {verdict} ({_elapsed(started)})", colour)
    for text in problems[:15]:
        console.line(f"  {text}", "red" if not text.startswith("warn") else "yellow")
    if len(problems) > 15:
        console.line(f"  ... and {len(problems) - 15} more (see the log)")
    return code


def _parser(name: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"tokenledger {name}", description=description)
    add_org_argument(parser)
    add_target_argument(parser)
    parser.add_argument("--db", type=Path, default=None,
                        help="warehouse file (default: $TOKENLEDGER_DB, else warehouse/tokenledger.duckdb)")
    parser.add_argument("--verbose", "-v", action="store_true", help="also stream dbt's log to the console")
    parser.add_argument("--skip-validate", action="store_true", help="build without checking the organisation first")
    return parser


def _start(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[Path, Path, Console, Path]:
    resolve_target(parser, args)
    org = org_dir(args.org)
    db = (args.db if args.db is not None else default_db_path()).resolve()
    return org, db, Console(verbose=args.verbose), new_log_path()


def main(argv: list[str] | None = None) -> int:
    parser = _parser("build", "Validate the organisation folder, then dbt build under the writer lock.")
    parser.add_argument("--scheduled", action="store_true",
                        help="a scheduled (nightly) build: no unit tests, and the data tests of the facts rebuilt a month "
                             "at a time read only the months this build rebuilt (TOKENLEDGER_TEST_SCOPE=rebuilt)")
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="after --: extra dbt arguments (e.g. -- -s marts)")
    args = parser.parse_args(argv)
    dbt_args = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
    if args.scheduled:
        dbt_args = [*SCHEDULED_ARGS, *dbt_args]
    given = dbt_target(dbt_args)  # `tokenledger build -- --target T` names it too
    if given is not None:
        if args.target is not None and args.target != given:
            parser.error(f"--target {args.target} and the dbt argument --target {given} disagree")
        args.target = given
    org, db, console, log_path = _start(parser, args)
    console.line(f"log: {log_path.relative_to(PROJECT_ROOT) if log_path.is_relative_to(PROJECT_ROOT) else log_path}")
    if not args.skip_validate and not validate_org(org, console):
        return 1
    env = environment(org, db)
    if args.scheduled:
        env["TOKENLEDGER_TEST_SCOPE"] = "rebuilt"
    with log_path.open("w", encoding="utf-8") as log:
        return dbt_build(dbt_args, env, log, console, args.target)


def run_main(argv: list[str] | None = None) -> int:
    parser = _parser("run", "Ingest (the bundled sample by default), build, and print the summary.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="exports to ingest first (default: data/sample when the organisation is the sample's)")
    args = parser.parse_args(argv)
    org, db, console, log_path = _start(parser, args)
    paths = list(args.paths) or ([str(SAMPLE_DATA)] if org == SAMPLE_ORG.resolve() else [])
    console.line(f"log: {log_path.relative_to(PROJECT_ROOT) if log_path.is_relative_to(PROJECT_ROOT) else log_path}")
    if not args.skip_validate and not validate_org(org, console):
        return 1
    env = environment(org, db)
    with log_path.open("w", encoding="utf-8") as log:
        status = ingest(paths, env, log, console, args.target) if paths else 0
        if status == 2:  # the warehouse cannot be opened: nothing to build
            return 2
        build_status = dbt_build([], env, log, console, args.target)
    from tokenledger import summary

    console.line("")
    summary_status = summary.main(target_args(args.target, db))
    return max(status, build_status, summary_status if build_status == 0 else 0)


if __name__ == "__main__":
    raise SystemExit(main())
