"""The organisation files: their schema (seeds/*.yml), reading them by header, `tokenledger init`.

    tokenledger init [--force] DIR

The schema's single home is the dbt properties files of the organisation seeds, seeds/*.yml (not
seeds/prices/): each seed entry is one org file, each of its columns one column of that file, with its
description and its `config.meta` (type, required, values, references, example, ...; the meta keys are
described at the top of seeds/_org__seeds.yml). Nothing here lists columns: a new org file or column is
a new entry in a yml file.

`init` writes an empty organisation folder: every org file with its header only, a README per file
(DIR/<file>.md: what each column means, and an example row), an index (DIR/README.md) and the marker
file (.tokenledger-org) that tells `tokenledger ingest` to skip the folder.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tokenledger.common import ORG_MARKER, PROJECT_ROOT

SCHEMA_DIR = PROJECT_ROOT / "seeds"
DOCS_DIR = PROJECT_ROOT / "models" / "docs"
TYPES = ("text", "date", "month", "decimal", "integer", "boolean", "email", "enum")
_DOC_CALL = re.compile(r"""\{\{\s*doc\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*\}\}""")
_DOC_BLOCK = re.compile(r"\{%\s*docs\s+([A-Za-z0-9_]+)\s*%\}(.*?)\{%\s*enddocs\s*%\}", re.S)
_DECIMAL_TYPE = re.compile(r"^\s*(?:decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*$", re.I)


@dataclass(frozen=True)
class Column:
    """One column of an org file, as seeds/*.yml documents it."""

    name: str
    description: str
    meta: dict[str, Any] = field(default_factory=dict)
    castable: str | None = None  # the data_type of the column's tl_castable test, e.g. "decimal(9, 4)"

    @property
    def type(self) -> str:
        return str(self.meta.get("type", "text"))

    @property
    def required(self) -> bool:
        return bool(self.meta.get("required", False))

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(str(v) for v in self.meta.get("values", ()))

    @property
    def references(self) -> tuple[str, str] | None:
        """(file, column) the value must name, from meta `references: file.column`."""
        target = self.meta.get("references")
        if not target:
            return None
        file, _, column = str(target).partition(".")
        return file, column

    @property
    def example(self) -> str:
        value = self.meta.get("example", "")
        return "" if value is None else str(value)

    @property
    def integer_digits(self) -> int | None:
        """The most digits before the decimal point a decimal column's tl_castable type takes (None: no limit)."""
        match = _DECIMAL_TYPE.match(self.castable or "")
        return int(match.group(1)) - int(match.group(2)) if match else None


@dataclass(frozen=True)
class OrgFile:
    """One org file (one seed): its name (the CSV is <name>.csv), description, columns and key."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    schema_file: str = ""

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column | None:
        wanted = name.strip().lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)


def _docs_blocks() -> dict[str, str]:
    blocks: dict[str, str] = {}
    for path in sorted(DOCS_DIR.glob("*.md")):
        for name, body in _DOC_BLOCK.findall(path.read_text(encoding="utf-8")):
            blocks[name] = body.strip()
    return blocks


def _castable_type(column: dict[str, Any]) -> str | None:
    for test in column.get("data_tests") or column.get("tests") or []:
        if isinstance(test, dict) and "tl_castable" in test:
            body = test["tl_castable"] or {}
            arguments = body.get("arguments") or body
            return str(arguments.get("data_type"))
    return None


def _meta(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry's meta: config.meta (where dbt 1.11 wants it), else a top-level meta."""
    config = entry.get("config") or {}
    meta = config.get("meta") or entry.get("meta") or {}
    return dict(meta)


def load_schema(schema_dir: Path = SCHEMA_DIR) -> dict[str, OrgFile]:
    """Every seed entry of schema_dir/*.yml (the org files), in file order; doc() references resolved."""
    docs = _docs_blocks()

    def text(value: object) -> str:
        return _DOC_CALL.sub(lambda m: docs.get(m.group(1), m.group(0)), str(value or "")).strip()

    files: dict[str, OrgFile] = {}
    for path in sorted(schema_dir.glob("*.yml")):
        schema: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for seed in schema.get("seeds") or []:
            columns = tuple(
                Column(str(c["name"]), text(c.get("description")), _meta(c), _castable_type(c))
                for c in seed.get("columns") or []
            )
            key = tuple(str(k) for k in _meta(seed).get("key") or ())
            files[seed["name"]] = OrgFile(seed["name"], text(seed.get("description")), columns, key,
                                          str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path))
    return files


ORG_FILES = load_schema()


@dataclass(frozen=True)
class Row:
    """One data row of an org file: its line number (the header is line 1) and values by header name."""

    line: int
    values: dict[str, str]
    width: int  # how many fields the line has


def read_org_file(path: Path) -> tuple[list[str], list[Row]]:
    """An org CSV by header name: (header, rows); a UTF-8 BOM is allowed, empty lines are skipped.

    A row's line is the line it starts on (a quoted value may span lines)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        rows = []
        previous_end = reader.line_num
        for fields in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not fields:
                continue
            rows.append(Row(start, dict(zip(header, fields)), len(fields)))
    return header, rows


def header_line(spec: OrgFile) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([c.name for c in spec.columns])
    return buffer.getvalue()


def _meta_summary(column: Column) -> str:
    parts = [column.type if column.type != "enum" else "one of " + ", ".join(f"`{v}`" for v in column.values)]
    when = column.meta.get("required_when")
    if isinstance(when, dict) and not column.required:
        parts.append("required when " + ", ".join(f"{k} is `{v}`" for k, v in when.items()))
    else:
        parts.append("required" if column.required else "optional")
    if column.references:
        file, target = column.references
        condition = column.meta.get("references_when")
        suffix = (" when " + ", ".join(f"{k} is `{v}`" for k, v in condition.items())) if isinstance(condition, dict) else ""
        parts.append(f"must appear in {file}.csv ({target}){suffix}")
    for bound, word in (("min", "at least"), ("max", "at most")):
        if bound in column.meta:
            parts.append(f"{word} {column.meta[bound]}")
    for other, word in (("at_most", "not above"), ("at_least", "not before / below")):
        if other in column.meta:
            parts.append(f"{word} `{column.meta[other]}`")
    if "default" in column.meta:
        parts.append(f"blank = {column.meta['default']}")
    return "; ".join(parts)


def readme(spec: OrgFile) -> str:
    """The README of one org file: its description, its columns (meaning, type, required) and an example row."""
    lines = [f"# {spec.file_name}", "", spec.description, ""]
    if spec.key:
        lines += [f"One row per {', '.join(f'`{k}`' for k in spec.key)} (no two rows share them).", ""]
    lines += ["| column | meaning | format |", "|---|---|---|"]
    for column in spec.columns:
        meaning = column.description.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{column.name}` | {meaning} | {_meta_summary(column)} |")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in spec.columns])
    writer.writerow([c.example for c in spec.columns])
    lines += ["", "Example (the CSV itself starts with the header only):", "", "```csv", buffer.getvalue().rstrip("\n"), "```",
              "", "Columns are read by header name, in any order; `tokenledger validate` checks the file.", ""]
    return "\n".join(lines)


def index_readme(files: dict[str, OrgFile]) -> str:
    lines = ["# The organisation folder", "",
             "The organisation's configuration for tokenledger: one CSV per file below, read by header name",
             "(any column order). Edit them, then check them with `tokenledger validate --org DIR` and build with",
             "`tokenledger build --org DIR`. Each file has its README beside it.", "",
             "| file | what |", "|---|---|"]
    for spec in files.values():
        lines.append(f"| [{spec.file_name}]({spec.name}.md) | {spec.description.replace('|', chr(92) + '|')} |")
    return "\n".join([*lines, ""])


class ExistingFilesError(Exception):
    """init would overwrite org files (without force)."""


def init(target: Path, *, force: bool = False, files: dict[str, OrgFile] | None = None) -> list[Path]:
    """Write an empty organisation folder: every org file with its header only, a README per file, the
    index README and the marker. Existing CSVs are refused (ExistingFilesError) unless `force`."""
    files = ORG_FILES if files is None else files
    existing = [target / spec.file_name for spec in files.values() if (target / spec.file_name).exists()]
    if existing and not force:
        raise ExistingFilesError(", ".join(str(p) for p in existing))
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in files.values():
        for path, content in ((target / spec.file_name, header_line(spec)), (target / f"{spec.name}.md", readme(spec))):
            path.write_text(content, encoding="utf-8")
            written.append(path)
    (target / "README.md").write_text(index_readme(files), encoding="utf-8")
    written.append(target / "README.md")
    (target / ORG_MARKER).write_text("# An organisation folder (tokenledger init): the build reads it; ingest skips it.\n",
                                     encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger init", description="Write an empty organisation folder: "
                                     "every org file with its header only, and a README per file.")
    parser.add_argument("dir", type=Path, help="the folder to write")
    parser.add_argument("--force", action="store_true", help="overwrite org files that exist already")
    args = parser.parse_args(argv)
    try:
        written = init(args.dir, force=args.force)
    except ExistingFilesError as exc:
        print(f"init: refusing to overwrite existing org files (--force overwrites them): {exc}", file=sys.stderr)
        return 1
    print(f"init: wrote {len(written)} files in {args.dir} ({len(ORG_FILES)} org files, each with its README)")
    print(f"next: fill in the files, then: tokenledger validate --org {args.dir}", file=sys.stderr)
    return 0
