"""`tokenledger validate`: check the organisation folder without a dbt build, one line per problem.

    tokenledger validate [--org DIR]

Every problem is one line, `file:row:column: value — why` (row = the CSV line, the header is line 1; a
problem with a whole file has row 0 and column `*`); exit 1 when there is an error, else 0 (warnings
are printed and allowed). The org files, their columns and the rules on each column are the schema in
seeds/*.yml (tokenledger.orgfiles): the generic checks below read its meta, so a new org file or column
needs no code here. A few rules span files or rows and are written out: team merges, fixed splits.

Severity: an error is what the build would reject or silently get wrong (each has a dbt test that
fails `dbt build` too); a warning is a real oddity the models tolerate.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tokenledger.common import add_org_argument, org_dir
from tokenledger.orgfiles import ORG_FILES, Column, OrgFile, Row, read_org_file

ALWAYS = date(1900, 1, 1)  # a blank effective_from means "since always" (staging's coalesce)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BOOLEANS = {"true": True, "t": True, "yes": True, "y": True, "1": True,
             "false": False, "f": False, "no": False, "n": False, "0": False}
_INT32 = 2**31


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


class _Invalid(ValueError):
    """A value that does not parse as its column's type; the message is the reason."""


@dataclass
class _File:
    """One org file as read: its spec, the header's known columns and every row's values, raw and parsed."""

    spec: OrgFile
    present: dict[str, str] = field(default_factory=dict)  # documented column -> the header's spelling
    rows: list[tuple[Row, dict[str, Any]]] = field(default_factory=list)  # (row, column -> parsed value or None)
    failed: set[tuple[int, str]] = field(default_factory=set)  # (line, column) whose value did not parse


def _shown(raw: str) -> str:
    text = raw.strip().replace("\r", "\\r").replace("\n", "\\n")
    return text if text else "(blank)"


def _plain(value: Any) -> str:
    """A parsed value as people write it: 2026-10-01, 90 (not 90.0000), a month as YYYY-MM."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def nearest(word: str, candidates: list[str] | set[str], limit: int = 2) -> str | None:
    """The candidate closest to `word` (case-folded) within `limit` edits; ties go to the first in sorted order."""
    scored = sorted((edit_distance(word.casefold(), c.casefold()), c) for c in candidates)
    return scored[0][1] if scored and scored[0][0] <= limit else None


def parse(column: Column, raw: str) -> Any:
    """The value as the models compare it, None when blank; _Invalid when it does not parse."""
    text = raw.strip()
    if text == "" or text in {str(v) for v in column.meta.get("blank_values", ())}:
        return None
    kind = column.type
    if kind == "date":
        day = _date(text, "not a date (YYYY-MM-DD)")
        return day.replace(day=1) if column.meta.get("to_month") else day
    if kind == "month":
        if _MONTH.match(text):
            return _date(text + "-01", "not a month (YYYY-MM, or a date YYYY-MM-DD)")
        return _date(text, "not a month (YYYY-MM, or a date YYYY-MM-DD)").replace(day=1)
    if kind == "integer":
        if not _INTEGER.match(text) or not -_INT32 <= int(text) < _INT32:
            raise _Invalid("not a whole number")
        return int(text)
    if kind == "decimal":
        if not _DECIMAL.match(text):
            raise _Invalid("not a number (digits, an optional . and decimals; no thousands separator or unit)")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _Invalid("not a number") from None
        digits = column.integer_digits
        if digits is not None and abs(number) >= Decimal(10) ** digits:
            raise _Invalid(f"too large (at most {digits} digits before the decimal point)")
        return number
    if kind == "boolean":
        if text.lower() not in _BOOLEANS:
            raise _Invalid("not true or false")
        return _BOOLEANS[text.lower()]
    if kind == "email":
        if not _EMAIL.match(text):
            raise _Invalid("not an email address (name@domain)")
        return text.lower()
    if kind == "enum":
        if text.lower() not in column.values:
            raise _Invalid("not one of " + ", ".join(column.values))
        return text.lower()
    return text if column.meta.get("case_sensitive") else text.lower()


def _date(text: str, why: str) -> date:
    if not _DATE.match(text):
        raise _Invalid(why)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Invalid(why.replace("not a", "no such", 1) if "month" not in why else why) from None


def _when(condition: object, values: dict[str, Any]) -> bool:
    """A meta condition {column: value} holds on a row (its parsed values); no condition always holds."""
    if not isinstance(condition, dict):
        return True
    return all(values.get(column) == str(wanted).lower() for column, wanted in condition.items())


def _condition_text(condition: object) -> str:
    if not isinstance(condition, dict):
        return ""
    return " (" + ", ".join(f"{column} is {wanted}" for column, wanted in condition.items()) + ")"


def _read(org: Path, spec: OrgFile, problems: list[Problem]) -> _File | None:
    """Read one file and check its header and each value on its own; None when it cannot be read."""
    name = spec.file_name
    path = org / name
    if not path.is_file():
        problems.append(Problem(name, 0, "*", "(missing)", "no such file: the build needs every org file "
                                "(a header-only file is an empty one; tokenledger init writes them all)"))
        return None
    try:
        header, rows = read_org_file(path)
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, 0, "*", "(unreadable)", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return None
    except csv.Error as exc:
        problems.append(Problem(name, 0, "*", "(unreadable)", f"not a CSV file ({exc})"))
        return None
    if not any(header):
        problems.append(Problem(name, 1, "*", "(blank)", "no header: the first line names the columns "
                                "(tokenledger init writes it)"))
        return None
    read = _File(spec)
    documented = {c.name.lower(): c.name for c in spec.columns}
    seen: dict[str, int] = {}
    for position, heading in enumerate(header, 1):
        folded = heading.lower()
        if folded in seen:
            problems.append(Problem(name, 1, heading, heading, f"duplicate column (also column {seen[folded]} of the header)"))
            continue
        seen[folded] = position
        if folded in documented:
            read.present[documented[folded]] = heading
    absent = [c.name for c in spec.columns if c.name not in read.present]
    for heading in header:
        if heading.lower() in documented:
            continue
        if not heading:
            problems.append(Problem(name, 1, "(blank)", "(blank)", "a column without a name (a trailing comma?): ignored",
                                    "warning"))
            continue
        guess = nearest(heading, absent)
        if guess:
            problems.append(Problem(name, 1, heading, heading, f"unknown column; did you mean {guess}? "
                                    "(its values would be ignored)"))
        else:
            problems.append(Problem(name, 1, heading, heading, "unknown column: ignored (the columns are "
                                    + ", ".join(c.name for c in spec.columns) + ")", "warning"))
    for column in spec.columns:
        if column.required and column.name not in read.present:
            problems.append(Problem(name, 1, column.name, "(missing)", "required column is missing from the header"))
    for row in rows:
        if row.width != len(header):
            problems.append(Problem(name, row.line, "*", f"{row.width} values",
                                    f"the header has {len(header)} columns (a comma inside a value needs quotes)"))
            continue
        values: dict[str, Any] = {}
        for column in spec.columns:
            actual = read.present.get(column.name)
            if actual is None:
                values[column.name] = None
                continue
            raw = row.values.get(actual, "")
            try:
                values[column.name] = parse(column, raw)
            except _Invalid as exc:
                values[column.name] = None
                read.failed.add((row.line, column.name))
                problems.append(Problem(name, row.line, column.name, _shown(raw), str(exc)))
        read.rows.append((row, values))
    for row, values in read.rows:
        for column in spec.columns:
            if column.name not in read.present or (row.line, column.name) in read.failed or values[column.name] is not None:
                continue
            condition = column.meta.get("required_when")
            if column.required or (condition and _when(condition, values)):
                problems.append(Problem(name, row.line, column.name, "(blank)",
                                        "required" + _condition_text(condition) + ": the value is blank"))
    return read


def _value(values: dict[str, Any], column: Column) -> Any:
    value = values.get(column.name)
    if value is None and "default" in column.meta and column.type in ("decimal", "integer"):
        return Decimal(str(column.meta["default"]))
    return value


def _out_of_order(mine: Any, theirs: Any, relation: str) -> bool:
    """`mine` is above `theirs` (relation at_most) or below it (at_least); values of different kinds never are."""
    if isinstance(mine, date) and isinstance(theirs, date):
        return mine > theirs if relation == "at_most" else mine < theirs
    if isinstance(mine, Decimal | int) and isinstance(theirs, Decimal | int):
        return mine > theirs if relation == "at_most" else mine < theirs
    return False


def _check_rows(read: _File, problems: list[Problem]) -> None:
    """Bounds (min, max), comparisons with another column (at_most, at_least) and duplicate keys."""
    spec = read.spec
    name = spec.file_name
    for row, values in read.rows:
        raw = {c.name: row.values.get(read.present.get(c.name, ""), "") for c in spec.columns}
        for column in spec.columns:
            value = values.get(column.name)
            if value is None:
                continue
            for bound, word in (("min", "below"), ("max", "above")):
                if bound in column.meta and isinstance(value, Decimal | int):
                    limit = Decimal(str(column.meta[bound]))
                    if (value < limit) if bound == "min" else (value > limit):
                        problems.append(Problem(name, row.line, column.name, _shown(raw[column.name]),
                                                f"{word} {_plain(limit)} (the {'least' if bound == 'min' else 'most'} allowed)"))
            for relation, word in (("at_most", "above"), ("at_least", "before" if column.type in ("date", "month") else "below")):
                other_name = column.meta.get(relation)
                other = spec.column(str(other_name)) if other_name else None
                if other is None:
                    continue
                mine, theirs = _value(values, column), _value(values, other)
                if theirs is None or (row.line, other.name) in read.failed:
                    continue
                if _out_of_order(mine, theirs, relation):
                    shown = theirs.strftime("%Y-%m") if other.type == "month" and isinstance(theirs, date) else _plain(theirs)
                    problems.append(Problem(name, row.line, column.name, _shown(raw[column.name]),
                                            f"{word} {other.name} ({shown})"))
    if not spec.key:
        return
    key_columns = [c for c in (spec.column(k) for k in spec.key) if c is not None]
    first: dict[tuple[Any, ...], int] = {}
    for row, values in read.rows:
        if any((row.line, c.name) in read.failed for c in key_columns):
            continue
        key = tuple(ALWAYS if c.type == "date" and values[c.name] is None else values[c.name] for c in key_columns)
        if key not in first:
            first[key] = row.line
            continue
        dated = [c for c in key_columns if c.type == "date"]
        last = dated[-1] if dated else key_columns[-1]
        shown = _shown(row.values.get(read.present.get(last.name, ""), ""))
        if dated:
            others = [c for c in key_columns if c is not last]
            owner = ", ".join(f"{c.name} {_plain(values[c.name]) if values[c.name] is not None else '(blank)'}" for c in others)
            when = _plain(values[last.name]) if values[last.name] is not None else "always (blank)"
            if last.meta.get("to_month") and isinstance(values[last.name], date):
                why = f"{owner} has two rows for {values[last.name]:%Y-%m} (also line {first[key]})"
            else:
                why = f"{owner} has two rows in force from {when} (also line {first[key]}): their periods overlap"
        elif len(key_columns) == 1:
            why = f"duplicate {last.name} (also line {first[key]})"
        else:
            written = [_shown(row.values.get(read.present.get(c.name, ""), "")) for c in key_columns]
            why = f"duplicate ({', '.join(c.name for c in key_columns)}) = ({', '.join(written)}) (also line {first[key]})"
        problems.append(Problem(name, row.line, last.name, shown, why))


def _check_references(files: dict[str, _File], problems: list[Problem]) -> None:
    targets: dict[tuple[str, str], set[Any]] = {}
    for read in files.values():
        for column in read.spec.columns:
            target = column.references
            if target is None or target in targets or target[0] not in files:
                continue
            targets[target] = {values.get(target[1]) for _, values in files[target[0]].rows} - {None}
    for read in files.values():
        for column in read.spec.columns:
            target = column.references
            if target is None or target not in targets or column.name not in read.present:
                continue
            known = targets[target]
            condition = column.meta.get("references_when")
            severity = str(column.meta.get("references_severity", "error"))
            for row, values in read.rows:
                value = values.get(column.name)
                if value is None or value in known or not _when(condition, values):
                    continue
                shown = _shown(row.values.get(read.present[column.name], ""))
                guess = nearest(value, {k for k in known if isinstance(k, str)}) if isinstance(value, str) else None
                why = f"unknown {target[1]}: not in {target[0]}.csv" + _condition_text(condition)
                why += f"; did you mean {guess}?" if guess else ""
                problems.append(Problem(read.spec.file_name, row.line, column.name, shown, why, severity))


def _check_team_merges(teams: _File, problems: list[Problem]) -> None:
    """A team merged into itself or into a chain that comes back to it (its rollup has no surviving team)."""
    merged_into: dict[str, tuple[str, int]] = {}
    for row, values in teams.rows:
        team, into = values.get("team_id"), values.get("merged_into")
        if into is None:
            if values.get("merged_on") is not None:
                problems.append(Problem(teams.spec.file_name, row.line, "merged_on", _plain(values["merged_on"]),
                                        "merged_on without merged_into: ignored", "warning"))
            continue
        if team is not None:
            merged_into.setdefault(team, (into, row.line))
    for team, (into, line) in merged_into.items():
        seen = {team}
        current: str | None = into
        while current is not None and current not in seen:
            seen.add(current)
            current = merged_into[current][0] if current in merged_into else None
        if current == team:
            why = "a team cannot be merged into itself" if into == team else \
                f"the merges come back to {team} (no surviving team to roll up to)"
            problems.append(Problem(teams.spec.file_name, line, "merged_into", into, why))


def _check_fixed_splits(rules: _File, splits: _File, problems: list[Problem]) -> None:
    """While an agent's rule is `fixed`, every participant set in force has a percent on each row summing to 100
    (the periods as the models build them: a rule or set is in force until the agent's next one)."""
    rule_rows: dict[str, list[tuple[date, str | None, int]]] = defaultdict(list)
    for row, values in rules.rows:
        if values.get("agent") is not None:
            rule_rows[values["agent"]].append((values.get("effective_from") or ALWAYS, values.get("method"), row.line))
    sets: dict[str, dict[date, list[tuple[Row, dict[str, Any]]]]] = defaultdict(lambda: defaultdict(list))
    for row, values in splits.rows:
        if values.get("agent") is not None:
            sets[values["agent"]][values.get("effective_from") or ALWAYS].append((row, values))
    name = splits.spec.file_name
    for agent, agent_rules in rule_rows.items():
        agent_rules.sort()
        starts = sorted(sets.get(agent, {}))
        for index, (valid_from, method, rule_line) in enumerate(agent_rules):
            if method != "fixed":
                continue
            valid_to = agent_rules[index + 1][0] if index + 1 < len(agent_rules) else None
            where = f"{rules.spec.file_name} line {rule_line}"
            if not starts or starts[0] > valid_from:
                problems.append(Problem(rules.spec.file_name, rule_line, "method", "fixed",
                                        f"no split set of {agent} in {name} is in force from {_plain(valid_from)}: "
                                        "shares are even until one is", "warning"))
            for position, start in enumerate(starts):
                following = starts[position + 1] if position + 1 < len(starts) else None
                if not ((valid_to is None or valid_to > start) and (following is None or valid_from < following)):
                    continue
                members = sets[agent][start]
                blank = [(row, values) for row, values in members if values.get("percent") is None]
                for row, _ in blank:
                    if (row.line, "percent") not in splits.failed:
                        problems.append(Problem(name, row.line, "percent", "(blank)",
                                                f"the fixed split of {agent} from {_plain(start)} needs a percent on every row ({where})"))
                total = sum((values["percent"] for _, values in members if values.get("percent") is not None), Decimal(0))
                if not blank and total != 100:
                    problems.append(Problem(name, members[0][0].line, "percent", _plain(total),
                                            f"the fixed split of {agent} from {_plain(start)} sums to {_plain(total)}, "
                                            f"not 100 (the fixed rule of {where})"))


def _check_unused_splits(rules: _File, splits: _File, problems: list[Problem]) -> None:
    with_rules = {values.get("agent") for _, values in rules.rows}
    reported: set[str] = set()
    for row, values in splits.rows:
        agent = values.get("agent")
        if agent is not None and agent not in with_rules and agent not in reported:
            reported.add(agent)
            problems.append(Problem(splits.spec.file_name, row.line, "agent", _shown(row.values.get(splits.present["agent"], "")),
                                    f"no rule in {rules.spec.file_name}: the split is never used", "warning"))


def check(org: Path, files: dict[str, OrgFile] | None = None) -> list[Problem]:
    """Every problem found in the organisation folder `org` (errors and warnings), in file and line order."""
    specs = ORG_FILES if files is None else files
    problems: list[Problem] = []
    read: dict[str, _File] = {}
    for name, spec in specs.items():
        result = _read(org, spec, problems)
        if result is not None:
            read[name] = result
    known = {spec.file_name for spec in specs.values()}
    for path in sorted(org.glob("*.csv")):
        if path.name not in known:
            guess = nearest(path.name, known)
            problems.append(Problem(path.name, 0, "*", path.name, "not an org file: the build loads it as an unused seed"
                                    + (f"; did you mean {guess}?" if guess else ""), "warning"))
    for result in read.values():
        _check_rows(result, problems)
    _check_references(read, problems)
    if "teams" in read and {"team_id", "merged_into"} <= set(read["teams"].present):
        _check_team_merges(read["teams"], problems)
    if "shared_agent_rules" in read and "shared_agent_splits" in read:
        _check_fixed_splits(read["shared_agent_rules"], read["shared_agent_splits"], problems)
        if "agent" in read["shared_agent_splits"].present:
            _check_unused_splits(read["shared_agent_rules"], read["shared_agent_splits"], problems)
    order = {spec.file_name: index for index, spec in enumerate(specs.values())}
    return sorted(problems, key=lambda p: (order.get(p.file, len(order)), p.file, p.row))


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
    print(f"validate: {org}: {errors} error(s), {len(problems) - errors} warning(s) ({time.monotonic() - started:.2f}s)",
          file=sys.stderr)
    return 1 if errors else 0
