"""`tokenledger validate`: check the organisation folder without a dbt build, one line per problem.

    tokenledger validate [--org DIR]

Every problem is one line, `file:row:column: value — why`; exit 1 when there is an error, else 0.
The organisation files and their columns are the project's schema, seeds/_org__seeds.yml (orgfiles).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tokenledger.common import add_org_argument, org_dir
from tokenledger.orgfiles import ORG_FILES, read_org_file


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    value: str
    why: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.value} — {self.why}"


def check(org: Path) -> list[Problem]:
    """Every problem found in the organisation folder `org`."""
    problems: list[Problem] = []
    for name, spec in ORG_FILES.items():
        path = org / f"{name}.csv"
        if not path.exists():
            continue
        header, _rows = read_org_file(path)
        known = {column.name for column in spec.columns}
        for column in header:
            if column not in known:
                problems.append(Problem(path.name, 1, column, column, "unknown column", "warning"))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger validate", description=__doc__.splitlines()[0])
    add_org_argument(parser)
    args = parser.parse_args(argv)
    org = org_dir(args.org)
    if not org.is_dir():
        print(f"validate: no organisation folder at {org} (tokenledger init DIR writes one)", file=sys.stderr)
        return 1
    started = time.monotonic()
    problems = check(org)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    print(f"validate: {org}: {errors} error(s), {len(problems) - errors} warning(s) ({time.monotonic() - started:.1f}s)",
          file=sys.stderr)
    return 1 if errors else 0
