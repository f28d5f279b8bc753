"""The organisation files: their schema (seeds/_org__seeds.yml), reading them by header, `tokenledger init`.

    tokenledger init DIR

The schema's single home is the dbt properties file of the organisation seeds, seeds/_org__seeds.yml:
each seed is one org file, each of its columns one column of that file.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tokenledger.common import ORG_MARKER, PROJECT_ROOT

SCHEMA_FILE = PROJECT_ROOT / "seeds" / "_org__seeds.yml"


@dataclass(frozen=True)
class Column:
    name: str
    description: str


@dataclass(frozen=True)
class OrgFile:
    name: str
    description: str
    columns: tuple[Column, ...]


def _load_schema() -> dict[str, OrgFile]:
    schema: dict[str, Any] = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    files = {}
    for seed in schema["seeds"]:
        columns = tuple(Column(c["name"], str(c.get("description", ""))) for c in seed.get("columns", []))
        files[seed["name"]] = OrgFile(seed["name"], str(seed.get("description", "")), columns)
    return files


ORG_FILES = _load_schema()


def read_org_file(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """An org CSV by header name: (header, rows as {column: text}); a UTF-8 BOM is allowed."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        rows = [dict(zip(header, row)) for row in reader]
    return header, rows


def init(target: Path) -> list[Path]:
    """Write an empty organisation folder: every org file with its header only, and the marker."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, spec in ORG_FILES.items():
        path = target / f"{name}.csv"
        if path.exists():
            continue
        path.write_text(",".join(c.name for c in spec.columns) + "\n", encoding="utf-8")
        written.append(path)
    (target / ORG_MARKER).write_text("# An organisation folder (tokenledger init): the build reads it; ingest skips it.\n",
                                     encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger init", description="Write an empty organisation folder.")
    parser.add_argument("dir", type=Path, help="the folder to create (existing files are kept)")
    args = parser.parse_args(argv)
    for path in init(args.dir):
        print(f"wrote {path}")
    print(f"next: edit the files in {args.dir}, then: tokenledger validate --org {args.dir}", file=sys.stderr)
    return 0
