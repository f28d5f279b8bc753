#!/usr/bin/env python3
"""Land usage and cost exports in the warehouse's `raw` schema.

    tokenledger ingest [--db PATH] PATH [PATH ...]
    tokenledger ingest --target postgres PATH [PATH ...]
    tokenledger ingest --target spark [--lake DIR] PATH [PATH ...]

Formats, recognised from the content (never the file name):
- gateway JSONL -> raw.gateway_requests (one row per line); Jobs export CSV -> raw.jobs_export;
- into raw.source_documents (one row per document, the JSON text verbatim): OpenTelemetry OTLP/JSON
  traces (otlp_json, a whole file; otlp_jsonl, the Collector's file exporter), LiteLLM spend logs
  (litellm_json, litellm_jsonl, and litellm_csv: each CSV record as a JSON object of its fields),
  LiteLLM's StandardLoggingPayload (litellm_payload_jsonl, litellm_payload_json: what its custom, S3
  and GCS loggers write), and OpenAI / Anthropic Admin API usage and cost report pages (openai_usage,
  openai_costs, anthropic_usage, anthropic_costs; a whole file, or JSON Lines with one page per line).

Every record lands as text with its lineage; nothing is parsed or judged here (staging does that).
Each file is one transaction (its raw rows + its manifest row), a file whose bytes were already
loaded is skipped, and the format is recognised from the content, never from the file name.
Rows are read set-based by DuckDB's CSV reader (or read_text for a whole-file JSON document);
Python only hashes the file and sniffs its first record, and DuckDB classifies JSON. The contract
as built is docs/ingest.md.

--target postgres lands the same raw tables in the PostgreSQL warehouse of TOKENLEDGER_PG_* (common.pg_conninfo)
under its advisory writer lock (common.postgres_lock): DuckDB still parses every file, in memory, and each
load's rows then reach Postgres with COPY, together with its manifest row in one Postgres transaction.

--target spark lands them in the Parquet lake that Spark's raw tables read (tokenledger/lake.py): the same
in-memory parse, then each load's Parquet files, its manifest file last, under the lake's lock.

Exit status: 0 every file loaded or skipped, 1 at least one file (or a directory) refused, 2 usage error (or the
warehouse cannot be opened or reached; nothing was attempted; Postgres: also a connection lost mid-run; Spark:
also a manifest file that cannot be written mid-run).
"""

from __future__ import annotations

import argparse
import bisect
import codecs
import contextlib
import csv
import gzip
import hashlib
import io
import json
import os
import re
import stat
import sys
import tempfile
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import duckdb

from tokenledger.common import (
    ORG_MARKER,
    PROJECT_ROOT,
    connect,
    default_db_path,
    pg_conninfo,
    pg_label,
    postgres_lock,
    read_yaml,
    warehouse_lock,
)

if TYPE_CHECKING:  # imported where used: only --target postgres needs it (~0.1 s at start-up)
    import psycopg

GATEWAY_JSONL = "gateway_jsonl"
JOBS_CSV = "jobs_csv"
OTLP_JSON = "otlp_json"
OTLP_JSONL = "otlp_jsonl"
LITELLM_JSON = "litellm_json"
LITELLM_JSONL = "litellm_jsonl"
LITELLM_CSV = "litellm_csv"
LITELLM_PAYLOAD_JSON = "litellm_payload_json"
LITELLM_PAYLOAD_JSONL = "litellm_payload_jsonl"
REPORT_FORMATS = ("openai_usage", "openai_costs", "anthropic_usage", "anthropic_costs")
# The built-in kinds the JSON classifier (JSON_KIND_SQL) names -> (format as JSON Lines, format as one whole-file
# document). Sources' staging folders declare more (declared_formats); kind_formats() is the whole map.
BUILT_IN_KIND_FORMATS: dict[str, tuple[str, str]] = {
    "otlp": (OTLP_JSONL, OTLP_JSON),
    "litellm": (LITELLM_JSONL, LITELLM_JSON),
    "litellm_payload": (LITELLM_PAYLOAD_JSONL, LITELLM_PAYLOAD_JSON),
    **{name: (name, name) for name in REPORT_FORMATS},
}
LITELLM_CSV_REQUIRED = frozenset({"request_id", "spend", "call_type"})

# How a recognised file lands (Sniffed.layout).
LINES = "lines"  # one row per non-blank physical line: gateway_jsonl and every *_jsonl / report JSONL
DOCUMENT = "document"  # the whole file is one JSON document: one row
CSV = "csv"  # one row per CSV record: jobs_csv, litellm_csv

JOBS_COLUMNS = (
    "job_id", "created_at", "agent", "model", "provider", "input_tokens", "cached_input_tokens",
    "output_tokens", "status", "api_key_id", "user_email", "workflow", "labels", "attempt", "retry_of",
)  # fmt: skip
JOBS_REQUIRED = ("job_id", "created_at", "model", "input_tokens", "output_tokens")

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
ASCII_WHITESPACE = b" \t\n\r\x0b\x0c"
# JSONL lines are read with DuckDB's CSV reader and this 4-byte field delimiter. JSON cannot contain
# raw control characters, and the reader is only used on content without any 0x1F byte (a file that
# has one goes to the fallback reader): DuckDB silently drops one trailing delimiter from a row.
LINE_DELIM = "\x1f\x1e\x1d\x1c"
UNIT_SEPARATOR = b"\x1f"
READ_BLOCK = 1 << 20
INDEX_STEP = 64 * 1024  # LineIndex: one line start indexed per this many bytes
INGEST_WORKERS = "TOKENLEDGER_INGEST_WORKERS"  # documented setting (docs/ingest.md "Concurrent files"): files landed at once
DEFAULT_INGEST_WORKERS = 4  # at most this many by default (ingest_workers), however many cores
# DuckDB checkpoints (compresses what the WAL holds into the database file) when the WAL reaches this size: its
# default, 16 MiB, is two 10k-line gateway files, and each checkpoint compresses the table's last row group again.
# Measured on 30 day-sized files: ~30% off the run and a lower peak RSS (256 MiB: no faster, a higher peak).
CHECKPOINT_THRESHOLD = "64MiB"
BLOCK_ALLOCATOR_MEMORY = "256MiB"  # DuckDB block memory an ingest run keeps rather than frees (keep_block_memory)
# DuckDB's CSV reader gives up on the whole file with this error on mixed CRLF/LF row ends or a stray CR.
STATE_MACHINE_ERROR = "state machine reached an invalid state"
SNIFF_CHUNK = 64 * 1024
SNIFF_LIMIT = 16 * 1024 * 1024  # the first record must show up within this many (decompressed) bytes
GLOB_CHARS = frozenset("*?[]{}")
DOCUMENT_LIMIT = 1 << 30  # a whole-file JSON document (decompressed) is refused above this many bytes
# Limits, documented settings (docs/ingest.md "Limits"): environment variable -> default. Read when used.
LIMITS = {
    "TOKENLEDGER_MAX_LINE_BYTES": 16 << 20,  # a physical line of a JSON Lines or CSV file
    "TOKENLEDGER_MAX_DECOMPRESSED_BYTES": 64 << 30,  # the content of a gzip file
    "TOKENLEDGER_MAX_CSV_COLUMNS": 10_000,  # fields in a CSV header
}
UTF_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "UTF-32LE"), (codecs.BOM_UTF32_BE, "UTF-32BE"),
    (codecs.BOM_UTF16_LE, "UTF-16LE"), (codecs.BOM_UTF16_BE, "UTF-16BE"),
)  # fmt: skip

UNRECOGNISED = "unrecognised format (neither a JSON object line nor a CSV header with job_id)"
UNRECOGNISED_JSON = (
    "unrecognised format (a JSON document, but not an OTLP trace export, LiteLLM spend logs, "
    "an OpenAI / Anthropic usage or cost report page, or a format a source's staging folder declares)"
)
EMPTY_REPORT_PAGE = "report page with no results: kind cannot be recognised"

RAW_TABLES_MACRO = PROJECT_ROOT / "macros" / "raw" / "create_raw_tables.sql"
STAGING_MODELS = PROJECT_ROOT / "models" / "staging"
FORMAT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class DeclaredFormat:
    """A JSON format a source's staging folder declares: a model's `config.meta.ingest_formats` entry in
    the folder's yml (docs/ingest.md "Formats declared by a source's staging folder")."""

    kind: str
    lines_format: str  # raw.source_documents.format of a JSON Lines file of such objects
    document_format: str  # format of one whole-file document (such an object, or an array of them)
    recognise: str  # DuckDB SQL: true when `p` (the JSON object classified) is one of this source's records
    declared_in: str  # the yml file, relative to the project


@cache
def declared_formats() -> tuple[DeclaredFormat, ...]:
    """Every format declared under models/staging/*/*.yml, in folder then file order. A source's files are
    recognised from its own folder: adding a JSON source needs no change here."""
    found: list[DeclaredFormat] = []
    for path in sorted(STAGING_MODELS.glob("*/*.yml")):
        if "ingest_formats" not in path.read_text(encoding="utf-8"):  # most files declare none: not parsed
            continue
        document = read_yaml(path) or {}
        for model in document.get("models") or []:
            meta = (model.get("config") or {}).get("meta") or {}
            for entry in meta.get("ingest_formats") or []:
                declared = DeclaredFormat(
                    kind=str(entry["kind"]), lines_format=str(entry["lines_format"]),
                    document_format=str(entry["document_format"]), recognise=str(entry["recognise"]).strip(),
                    declared_in=str(path.relative_to(PROJECT_ROOT)),
                )
                names = (declared.kind, declared.lines_format, declared.document_format)
                taken = {k for k in BUILT_IN_KIND_FORMATS} | {f for pair in BUILT_IN_KIND_FORMATS.values() for f in pair}
                taken |= {n for d in found for n in (d.kind, d.lines_format, d.document_format)}
                if not all(FORMAT_NAME.match(n) for n in names) or taken & set(names) or not declared.recognise:
                    raise ValueError(f"{declared.declared_in}: ingest_formats entry {entry!r} needs a new lower-case "
                                     "kind, lines_format and document_format and a recognise expression")
                found.append(declared)
    return tuple(found)


def kind_formats() -> dict[str, tuple[str, str]]:
    """What the JSON classifier names -> (format as JSON Lines, format as one whole-file document)."""
    return BUILT_IN_KIND_FORMATS | {d.kind: (d.lines_format, d.document_format) for d in declared_formats()}


class _MacroExceptions:
    """dbt's `exceptions` in the macro's context (raw_ddl renders it without dbt)."""

    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise ValueError(message)


def _env_var(name: str, default: str | None = None) -> str:
    """dbt's env_var in the macro's context: the variable, else the default; an error when neither is there."""
    value = os.environ.get(name, default)
    if value is None:
        raise ValueError(f"env var required but not provided: {name!r}")
    return value


def raw_ddl(engine: str) -> list[str]:
    """The raw schema and tables' statements for an engine ('duckdb', 'postgres', 'spark'), rendered from the
    dbt macro create_raw_tables: their one home, shared with the dbt on-run-start hook. As in dbt, env_var
    reads the environment and the project directory is this one (Spark: a relative TOKENLEDGER_LAKE is from it)."""
    import jinja2  # dbt's own template engine (a dbt-core dependency)

    template = jinja2.Environment(extensions=["jinja2.ext.do"]).from_string(
        RAW_TABLES_MACRO.read_text(encoding="utf-8") + "{{ create_raw_tables(as_text=true) }}")
    rendered = template.render(target={"type": engine}, env_var=_env_var, exceptions=_MacroExceptions,
                               invocation_args_dict={"project_dir": str(PROJECT_ROOT)})
    return [statement.strip() for statement in rendered.split(";") if statement.strip()]


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and its four tables when missing (raw_ddl: the dbt macro's statements)."""
    for statement in raw_ddl("duckdb"):
        con.execute(statement)


def limit(name: str) -> int:
    """A limit setting (LIMITS): the environment variable when set to a positive integer, else its default."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return LIMITS[name]
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise SystemExit(f"ingest: {name} must be a positive whole number of bytes or columns, got {raw!r}")
    return value


class Refused(Exception):
    """The file cannot be landed; the message is the one-line reason."""

    def __init__(self, message: str, file_format: str | None = None) -> None:
        super().__init__(message)
        self.file_format = file_format


class NeedsFallback(Exception):
    """The fast path cannot finish this file; roll back and redo it with the fallback path."""


@dataclass(frozen=True)
class Sniffed:
    file_format: str
    gzip: bool
    layout: str = LINES  # LINES | DOCUMENT | CSV
    header: tuple[str, ...] = ()  # CSV: the header fields as written (BOM removed)
    skip_lines: int = 0  # CSV: whitespace-only lines above the header


@dataclass(frozen=True)
class Lineage:
    """What every raw row of one load carries, rendered as SQL literals.

    Literals, not `?` parameters: with parameters in the projection DuckDB's bulk insert ran ~1.7x slower.
    """

    load_id: int
    path: Path
    sha: str
    loaded_at: datetime

    @property
    def head_sql(self) -> str:
        return f"{self.load_id}, {sql_str(str(self.path))}, {sql_str(self.sha)}"

    @property
    def loaded_at_sql(self) -> str:
        return f"timestamp '{self.loaded_at.isoformat(sep=' ')}'"

    @property
    def where(self) -> str:
        return f"load_id = {self.load_id}"


@dataclass(frozen=True)
class Landed:
    rows: int
    message: str


@dataclass(frozen=True)
class Outcome:
    status: str  # loaded | skipped | refused
    load_id: int
    rows: int
    message: str


# ---------------------------------------------------------------------------------------------
# Bytes: hashing and sniffing (the only Python that touches file content)


class LineIndex:
    """Where lines start in a plain file, sparsely: for every INDEX_STEP bytes, the first line starting in them.

    Built block by block in the hash pass (a find and a count per step: memchr), it lets a few lines be read
    by number without reading the file again (file_sample): at most INDEX_STEP bytes are skipped per line.
    """

    def __init__(self) -> None:
        self.offsets = array("q", [0])  # byte offset of a line start
        self.numbers = array("q", [1])  # its line number
        self.position = 0  # bytes fed so far
        self.line = 1  # the line the next byte fed belongs to

    def feed(self, block: bytes) -> int:
        """Index the next block of the content; returns how many LFs it holds."""
        before = self.line
        for start in range(0, len(block), INDEX_STEP):
            end = min(start + INDEX_STEP, len(block))
            newline = block.find(b"\n", start, end)
            if newline < 0:
                continue
            self.offsets.append(self.position + newline + 1)
            self.numbers.append(self.line + 1)
            self.line += block.count(b"\n", newline, end)
        self.position += len(block)
        return self.line - before

    def nearest(self, number: int) -> tuple[int, int]:
        """(offset, number) of the indexed line start at or before line `number`."""
        i = bisect.bisect_right(self.numbers, number) - 1
        return self.offsets[i], self.numbers[i]


@dataclass(frozen=True)
class FileScan:
    sha256: str  # of the bytes as stored (the compressed bytes for a gzip file)
    size: int
    gzip: bool
    has_unit_separator: bool | None  # a 0x1F byte in the content; None for gzip (see scan_content)
    long_line: tuple[int, int | None] | None = None  # the first line over TOKENLEDGER_MAX_LINE_BYTES: (number, bytes)
    line_index: LineIndex | None = None  # plain files: where lines start (gzip: None)


class LineMeter:
    """Finds the first physical line longer than `limit` bytes (its LF excluded) in content fed block by block.

    Per block a find and an rfind (memchr) and a count: ~free next to the hash. Lines entirely inside a
    block are only measured when the limit is smaller than the block (a test's lowered limit).
    """

    def __init__(self, max_bytes: int) -> None:
        self.limit = max_bytes
        self.line = 1  # the line `current` belongs to
        self.current = 0  # bytes of that line seen so far
        self.over: tuple[int, int | None] | None = None

    def feed(self, block: bytes, newlines: int | None = None) -> None:
        """The next block of the content; `newlines`, when known, is how many LFs it holds (not counted again)."""
        first = block.find(b"\n")
        if first < 0:
            self.current += len(block)
            return
        self._ended(self.current + first)
        last = block.rfind(b"\n")
        if self.over is None and last - first - 1 > self.limit:
            for i, part in enumerate(block[first + 1 : last].split(b"\n"), start=1):
                if len(part) > self.limit:
                    self.over = (self.line + i, len(part))
                    break
        self.line += block.count(b"\n") if newlines is None else newlines
        self.current = len(block) - last - 1

    def finish(self) -> None:
        if self.current:
            self._ended(self.current)

    @property
    def exceeded(self) -> bool:
        """A line over the limit has been seen, or the one in progress is already over it."""
        return self.over is not None or self.current > self.limit

    def _ended(self, length: int) -> None:
        if length > self.limit and self.over is None:
            self.over = (self.line, length)


def scan_file(path: Path) -> FileScan:
    """One pass over the stored bytes: sha256, size, and (plain files) whether any 0x1F byte occurs and the
    first line over TOKENLEDGER_MAX_LINE_BYTES, and where its lines start (LineIndex)."""
    digest = hashlib.sha256()
    size = 0
    found = False
    with open(path, "rb") as handle:
        gz = handle.read(2) == GZIP_MAGIC
        handle.seek(0)
        meter = None if gz else LineMeter(limit("TOKENLEDGER_MAX_LINE_BYTES"))
        index = None if gz else LineIndex()
        while block := handle.read(READ_BLOCK):
            digest.update(block)
            size += len(block)
            found = found or UNIT_SEPARATOR in block  # memchr: ~free next to the hash
            if meter is not None and index is not None:
                meter.feed(block, index.feed(block))
    if meter is not None:
        meter.finish()
    return FileScan(digest.hexdigest(), size, gz, None if gz else found, meter.over if meter else None, index)


def regular_file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as an export without opening it (a FIFO would block, a device never ends)."""
    try:
        mode = os.stat(path).st_mode  # follows symlinks: a link to /dev/zero is a character device
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))  # fmt: skip
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    return f"not a regular file ({kind})"


def long_line_message(line: int, size: int | None, max_bytes: int) -> str:
    size_text = f"is {size} bytes, over" if size is not None else "is over"  # a gzip line is not read to its end
    return (
        f"oversized record: line {line} {size_text} the {max_bytes}-byte limit "
        "(TOKENLEDGER_MAX_LINE_BYTES); nothing of the file landed"
    )


def scan_content(path: Path, scan: FileScan) -> FileScan:
    """gzip, before a JSON Lines or CSV load: decompress once, bounded, to find a 0x1F byte and an oversized line.

    Stops at the first line over TOKENLEDGER_MAX_LINE_BYTES (a gzip bomb's endless line costs that many
    bytes, not its size) and refuses content over TOKENLEDGER_MAX_DECOMPRESSED_BYTES.
    """
    max_line, max_content = limit("TOKENLEDGER_MAX_LINE_BYTES"), limit("TOKENLEDGER_MAX_DECOMPRESSED_BYTES")
    meter = LineMeter(max_line)
    found = stopped = False
    total = 0
    try:
        with gzip.open(path, "rb") as stream:
            while block := stream.read(READ_BLOCK):
                total += len(block)
                if total > max_content:
                    raise Refused(
                        f"gzip content too large: over {max_content} bytes decompressed "
                        "(TOKENLEDGER_MAX_DECOMPRESSED_BYTES); nothing of the file landed"
                    )
                found = found or UNIT_SEPARATOR in block
                meter.feed(block)
                if meter.exceeded:  # no need to read on: the file is refused
                    stopped = True
                    break
    except gzip.BadGzipFile as exc:
        raise Refused(gzip_problem(exc)) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise Refused(f"unreadable gzip: {exc}") from None
    if not stopped:
        meter.finish()
    long_line = meter.over or ((meter.line, None) if stopped else None)  # stopped inside the line: its size unknown
    return FileScan(scan.sha256, scan.size, scan.gzip, found, long_line)


def gzip_problem(exc: BaseException) -> str:
    """The refusal for a gzip stream Python cannot read. The file starts with the gzip magic, so a later
    "Not a gzipped file" means bytes after the last member that do not start another one."""
    if "Not a gzipped file" in str(exc):
        return "unreadable gzip: trailing garbage after the compressed data (not another gzip member)"
    return f"unreadable gzip: {exc}"


def open_content(path: Path, gz: bool) -> BinaryIO:
    return gzip.open(path, "rb") if gz else open(path, "rb")  # type: ignore[return-value]


def read_head(path: Path, gz: bool) -> tuple[bytes, bool]:
    """The decompressed start of the file, through the end of its first non-blank line: (head, at_eof)."""
    head = bytearray()
    start = 0  # where the search for the first non-blank byte resumes: each byte is looked at once
    body_at: int | None = None
    try:
        with open_content(path, gz) as stream:
            while len(head) < SNIFF_LIMIT:
                chunk = stream.read(SNIFF_CHUNK)
                if not chunk:
                    return bytes(head), True
                head += chunk
                if body_at is None:
                    if start == 0 and head.startswith(UTF8_BOM):
                        start = len(UTF8_BOM)
                    elif start == 0 and len(head) < len(UTF8_BOM) and UTF8_BOM.startswith(head):
                        continue
                    stripped = head[start:].lstrip(ASCII_WHITESPACE)
                    if not stripped:
                        start = len(head)
                        continue
                    body_at = len(head) - len(stripped)
                if head.find(b"\n", max(body_at, len(head) - len(chunk))) >= 0:
                    break
    except gzip.BadGzipFile as exc:
        raise Refused(gzip_problem(exc)) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise Refused(f"unreadable gzip: {exc}") from None
    return bytes(head), False


def sniff(con: duckdb.DuckDBPyConnection, path: Path, scan: FileScan) -> Sniffed:
    """Recognise the format from the content: a JSON object line, a CSV header, or one JSON document.

    The first non-blank line parses as a JSON object: JSON Lines, of the kind JSON_KIND_SQL gives that
    object (gateway_jsonl when none). Else the first CSV record names job_id (jobs_csv) or request_id,
    spend and call_type (litellm_csv). Else, if the content starts with { or [, the whole file must be
    one JSON document that JSON_KIND_SQL recognises.
    """
    if scan.size == 0:
        raise Refused("empty file (0 bytes)")
    gz = scan.gzip
    head, at_eof = read_head(path, gz)
    for bom, encoding in UTF_BOMS:
        if head.startswith(bom):
            raise Refused(
                f"unsupported text encoding: {encoding} (byte order mark {bom.hex(' ')}); re-save the file as UTF-8"
            )
    if b"\x00" in head[:2] or head[:64].count(b"\x00") * 4 > min(len(head), 64):  # ASCII text as UTF-16 / UTF-32
        raise Refused(
            "unsupported text encoding: NUL bytes at the start (UTF-16 or UTF-32 without a byte order mark?); "
            "re-save the file as UTF-8"
        )
    head = head.removeprefix(UTF8_BOM)
    body = head.lstrip(ASCII_WHITESPACE)
    if not body:
        if at_eof:
            raise Refused("empty file (only whitespace)")
        raise Refused(f"unrecognised format (nothing but whitespace in the first {SNIFF_LIMIT} bytes)")
    first_line = body.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        line = first_line.decode("utf-8")
        is_object = isinstance(json.loads(line), dict)
    except ValueError:  # not UTF-8, or not JSON
        is_object = False
    except RecursionError:
        raise Refused("JSON nested too deeply to recognise: the first line's arrays and objects are nested over "
                      f"{sys.getrecursionlimit()} levels deep") from None
    if is_object:
        _, kind = json_kind(con, "select ?::varchar as content", [line])
        return Sniffed(kind_formats()[kind][0] if kind else GATEWAY_JSONL, gz)
    # The header is the first record starting on the first line that is not whitespace-only.
    leading = head[: len(head) - len(body)]
    header_start = leading.rfind(b"\n") + 1
    text = head[header_start:].decode("utf-8", errors="replace")
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        header = []
    max_columns = limit("TOKENLEDGER_MAX_CSV_COLUMNS")
    if len(header) > max_columns:
        raise Refused(f"too many CSV columns: the header has {len(header)} fields, over the limit of {max_columns} "
                      "(TOKENLEDGER_MAX_CSV_COLUMNS)")
    names = {name.strip().lower() for name in header}
    for file_format, required in ((JOBS_CSV, {"job_id"}), (LITELLM_CSV, LITELLM_CSV_REQUIRED)):
        if required <= names:
            return Sniffed(file_format, gz, CSV, tuple(header), skip_lines=leading.count(b"\n"))
    if body[:1] in (b"{", b"["):
        return sniff_document(con, path, scan)
    raise Refused(UNRECOGNISED)


def sniff_document(con: duckdb.DuckDBPyConnection, path: Path, scan: FileScan) -> Sniffed:
    """The whole (decompressed) file as one JSON document: an object, or an array classified by its first element."""
    if not scan.gzip and scan.size > DOCUMENT_LIMIT:
        raise Refused(document_too_large())
    try:
        with decoded_copy(path, scan.gzip, limit=DOCUMENT_LIMIT) as text:
            top, kind = json_kind(con, f"select content from read_text({sql_str(str(text))})")
    except (OSError, EOFError, zlib.error) as exc:
        if not scan.gzip:
            raise
        raise Refused(f"unreadable gzip: {exc}") from None
    if top is None:
        raise Refused(f"{UNRECOGNISED}: not one valid JSON document either")
    if kind is None:
        raise Refused(UNRECOGNISED_JSON)
    return Sniffed(kind_formats()[kind][1], scan.gzip, DOCUMENT)


def document_too_large() -> str:
    return f"JSON document too large: over {DOCUMENT_LIMIT} bytes decompressed (export it as JSON Lines instead)"


# The one classifier of JSON content, for a JSON Lines file's first line and for a whole-file document:
# `{source}` yields that text as `content`; `p` is the object classified (the value, or an array's first
# element). It answers a kind_formats() key, 'empty page', or NULL (not recognised). The formats sources'
# staging folders declare ({declared}) are tried first, after the object check.
# A report page is an object whose `data` list is empty or starts with a bucket (an object with
# results, start_time or starting_at); its kind comes from the first bucket with a non-empty `results`.
JSON_KIND_SQL = """
with doc as (select try_cast(content as json) as j from ({source})),
probe as (select json_type(j) as top, if(json_type(j) = 'ARRAY', j->'$[0]', j) as p from doc),
page as (
    select *, list_filter(json_extract(p, '$.data[*]'), lambda x: json_array_length(x, '$.results') > 0)[1] as b
    from probe
),
bucket as (
    select *, if(json_exists(b, '$.results[0].amount') or b->>'$.results[0].object' = 'organization.costs.result',
                 'costs', 'usage') as measure
    from page
)
select top, case
    when json_type(p) is distinct from 'OBJECT' then null{declared}
    when json_exists(p, '$.resourceSpans') then 'otlp'
    when json_exists(p, '$.request_id') and json_exists(p, '$.spend') then 'litellm'
    when json_exists(p, '$.id') and json_exists(p, '$.call_type') and json_exists(p, '$.response_cost')
        then 'litellm_payload'
    when json_type(p, '$.data') is distinct from 'ARRAY' then null
    when json_exists(p, '$.data[0].request_id') and json_exists(p, '$.data[0].spend') then 'litellm'
    when json_array_length(p, '$.data') > 0 and not (json_exists(p, '$.data[0].results')
        or json_exists(p, '$.data[0].start_time') or json_exists(p, '$.data[0].starting_at')) then null
    when b is null then 'empty page'
    when json_type(b, '$.start_time') in ('UBIGINT', 'BIGINT', 'HUGEINT', 'DOUBLE')
        or b->>'$.results[0].object' like 'organization.%' then 'openai_' || measure
    when json_exists(b, '$.starting_at') then 'anthropic_' || measure
end
from bucket
"""


def json_kind(con: duckdb.DuckDBPyConnection, source: str, params: list[str] | None = None) -> tuple[str | None, str | None]:
    """(JSON type of the text or None when it is not valid JSON, kind_formats() key or None) for `source`'s `content`."""
    declared = "".join(f"\n    when ({d.recognise}) then {sql_str(d.kind)}" for d in declared_formats())
    sql = JSON_KIND_SQL.format(source=source, declared=declared)
    top, kind = con.execute(sql, params or []).fetchone()  # type: ignore[misc]
    if kind == "empty page":
        raise Refused(EMPTY_REPORT_PAGE)
    return top, kind


# ---------------------------------------------------------------------------------------------
# Near-miss column names: a typo of a known column (or key) is refused, not kept as an unknown one


@dataclass(frozen=True)
class Options:
    """How `tokenledger ingest` treats a file beyond its content (its flags)."""

    reload: bool = False  # load bytes again whose earlier load was unloaded (tokenledger unload)
    accept_columns: bool = False  # land a file whose column names are near-misses of known ones as is


ACCEPT_COLUMNS_HINT = "(pass --accept-columns to load the file as is)"
# The gateway JSONL objects whose keys are checked, and the model whose JSON paths name the known keys.
GATEWAY_MODEL = PROJECT_ROOT / "models" / "staging" / "gateway" / "base" / "base_gateway__requests_parsed.sql"
# Gateway JSONL lines whose keys are checked: the first NEAR_MISS_HEAD lines and NEAR_MISS_SPREAD more, evenly spread.
NEAR_MISS_HEAD = 1_000
NEAR_MISS_SPREAD = 1_000
SAMPLE_READ_THROUGH = 64  # file_sample reads a file through when it samples one line in this many or more
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s.\-]+")


def snake_name(name: str) -> str:
    """A column name as snake_case: camelCase split, spaces, dots and hyphens as underscores, lower-cased."""
    return _SEPARATORS.sub("_", _CAMEL_BOUNDARY.sub("_", name.strip())).lower().strip("_")


def edit_distance(a: str, b: str, cap: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap two neighbours), at most cap + 1."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return min(previous[-1], cap + 1)


def allowed_distance(known: str) -> int:
    """How far a name may be from a known one to count as its misspelling: scaled by the known name's length
    (2 edits from a 3-letter name is another word). Names of fewer than 5 letters only match by case,
    spacing or camelCase."""
    return 0 if len(known) < 5 else 1 if len(known) < 8 else 2


def near_miss(name: str, known: Sequence[str], present: Iterable[str] = ()) -> str | None:
    """The known name that `name` misspells, or None: `name` (case-folded, and as snake_case) is within
    allowed_distance of it but is not itself a known name, and that known name is not also present."""
    folded = name.strip().lower()
    if folded in known:
        return None
    forms = {folded, snake_name(name)}
    skip = {p.strip().lower() for p in present}
    best: tuple[int, str] | None = None
    for candidate in known:
        if candidate in skip:
            continue
        cap = allowed_distance(candidate)
        distance = min(edit_distance(form, candidate, cap) for form in forms)
        if distance <= cap and (best is None or distance < best[0]):
            best = (distance, candidate)
    return None if best is None else best[1]


def near_miss_message(name: str, suggestion: str, where: str = "column") -> str:
    return f"{where} {json.dumps(name, ensure_ascii=False)} — did you mean {suggestion}? {ACCEPT_COLUMNS_HINT}"


def check_jobs_header(header: Sequence[str]) -> None:
    """Refuse a Jobs CSV whose header has a near-miss of a known column (`cached_input_token`, `Input Tokens`)."""
    for name in header:
        suggestion = near_miss(name, JOBS_COLUMNS, present=header)
        if suggestion is not None:
            raise Refused(near_miss_message(name, suggestion), JOBS_CSV)


@cache
def gateway_known_keys() -> dict[str, tuple[str, ...]]:
    """JSON path of a checked gateway object -> the keys staging reads in it, from the JSON paths of the
    gateway's base model (GATEWAY_MODEL): the top level, response.usage and the objects staging reads in it."""
    paths = re.findall(r"'\$\.([A-Za-z0-9_.]+)'", GATEWAY_MODEL.read_text(encoding="utf-8"))
    levels: dict[str, set[str]] = {"$": set(), "$.response.usage": set()}
    for path in paths:
        parts = path.split(".")
        levels["$"].add(parts[0])
        if parts[:2] == ["response", "usage"] and len(parts) > 2:
            levels["$.response.usage"].add(parts[2])
            if len(parts) > 3:
                levels.setdefault("$.response.usage." + parts[2], set()).add(parts[3])
    return {level: tuple(sorted(keys)) for level, keys in levels.items()}


def check_gateway_keys(con: duckdb.DuckDBPyConnection, lin: Lineage, scan: FileScan | None = None) -> None:
    """Refuse a gateway JSONL load (inside its transaction) when a checked object of a sampled line has a
    near-miss of a key staging reads (`outputTokens`, `cached_input_token`): the value would be ignored.
    The sampled lines (the first NEAR_MISS_HEAD and NEAR_MISS_SPREAD more, evenly spread) are parsed here;
    a line that is not a JSON object is staging's to reject. A plain file's sampled lines are read from the
    file through its LineIndex; a gzip file's from the landed rows (reading them decompresses the whole load)."""
    (last,) = con.execute(f"select coalesce(max(line_number), 0) from raw.gateway_requests where {lin.where}").fetchone()  # type: ignore[misc]
    stride = max(1, int(last) // NEAR_MISS_SPREAD)
    if scan is not None and scan.line_index is not None:
        with contextlib.suppress(OSError):  # the file cannot be read again: the landed rows are read instead
            check_keys(file_sample(lin.path, scan.line_index, int(last), stride))
            return
    con.execute(
        f"select line_number, raw_line from raw.gateway_requests where {lin.where} and raw_line is not null "
        f"and (line_number <= {NEAR_MISS_HEAD} or line_number % {stride} = 0) order by line_number"
    )
    check_keys(row for batch in iter(partial(con.fetchmany, COPY_BATCH), []) for row in batch)


def file_sample(path: Path, index: LineIndex, last: int, stride: int) -> list[tuple[int, str]]:
    """(line number, text) of the sampled lines of a plain file (the first NEAR_MISS_HEAD lines, then every
    stride-th line up to `last`), as the readers land them: one CR before the LF dropped, the BOM dropped from line 1,
    decoded as UTF-8 with an invalid byte as U+FFFD (as the fallback reader; the line reader's reject table has "?"
    there, so only a key holding an invalid byte is printed differently); a blank line is left out."""
    head = min(last, NEAR_MISS_HEAD)
    spread = range((NEAR_MISS_HEAD // stride + 1) * stride, last + 1, stride)  # the multiples of stride past the head
    sample: list[tuple[int, str]] = []
    with open(path, "rb") as handle:
        if stride <= SAMPLE_READ_THROUGH:  # a small file: reading it through beats a seek per sampled line
            wanted = set(range(1, head + 1)).union(spread)
            lines = [(n, raw) for n, raw in enumerate(handle, start=1) if n in wanted]
        else:
            lines = [(n, handle.readline()) for n in range(1, head + 1)] + [(n, read_line(handle, index, n)) for n in spread]
    for number, raw in lines:
        raw = raw.removesuffix(b"\n").removesuffix(b"\r")
        if number == 1:
            raw = raw.removeprefix(UTF8_BOM)
        if raw.strip(ASCII_WHITESPACE):
            sample.append((number, raw.decode("utf-8", errors="replace")))
    return sample


def read_line(handle: BinaryIO, index: LineIndex, number: int) -> bytes:
    """Physical line `number` of a plain file, its LF included (b"" past the end): from the nearest indexed
    line start, chunks of a quarter INDEX_STEP are skipped by their newline count."""
    offset, at = index.nearest(number)
    handle.seek(offset)
    while at < number:
        chunk = handle.read(INDEX_STEP // 4)
        if not chunk:
            return b""
        count = chunk.count(b"\n")
        if at + count < number:
            at, offset = at + count, offset + len(chunk)
            continue
        position = 0
        while at < number:
            position = chunk.index(b"\n", position) + 1
            at += 1
        handle.seek(offset + position)
    return handle.readline()


def check_keys(lines: Iterable[tuple[int, str]]) -> None:
    """Refuse (Refused) on the first near-miss key of a checked object, in line order; each distinct key set of
    a level is checked once."""
    levels = gateway_known_keys()
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for line_number, raw_line in lines:
        try:
            record = json.loads(raw_line)
        except (ValueError, RecursionError):
            continue
        for level, known in levels.items():
            node: Any = record
            for part in level.split(".")[1:]:
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict) or (level, keys := tuple(node)) in seen:
                continue
            seen.add((level, keys))
            for key in keys:
                suggestion = near_miss(key, known, present=keys)
                if suggestion is not None:
                    prefix = "" if level == "$" else level.removeprefix("$.") + "."
                    name = json.dumps(prefix + key, ensure_ascii=False)
                    raise Refused(f"key {name} (line {line_number}) — did you mean {prefix}{suggestion}? "
                                  f"{ACCEPT_COLUMNS_HINT}")


# ---------------------------------------------------------------------------------------------
# SQL helpers


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def blank_sql(expr: str) -> str:
    """True when a line is NULL, empty or whitespace-only (ASCII whitespace, as in the sniffer).

    A regex full match stops at the first other character; trim(x, chars) was ~4x slower on long lines.
    """
    return rf"coalesce(regexp_full_match({expr}, '[ \t\n\r\v\f]*'), true)"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def readable_path(path: Path) -> Iterator[Path]:
    """A path DuckDB reads literally: its readers treat * ? [ ] { } as globs, so such a name is symlinked."""
    if not GLOB_CHARS.intersection(str(path)):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="tokenledger-ingest-") as tmp:
        link = Path(tmp) / "input"
        link.symlink_to(path)
        yield link


def rejects_options(rejects: str) -> str:
    """Keep every rejected row, whole (the default cuts the stored csv_line at 10,000 characters)."""
    return (
        f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scans', "
        "rejects_limit = 0, rejects_line_size_limit = 0"
    )


def drop_rejects(con: duckdb.DuckDBPyConnection, rejects: str) -> None:
    con.execute(f"drop table if exists temp.{rejects}")
    con.execute(f"drop table if exists temp.{rejects}_scans")


def line_reader_sql(path: Path, gz: bool, rejects: str) -> str:
    """read_csv set up to return every physical line as one VARCHAR column (no quoting, no escapes).

    Empty lines come back as NULL rows, so the output ordinal is the physical line number, except
    that rejected lines (containing LINE_DELIM, invalid UTF-8, longer than max_line_size) are missing
    from the output and reported, with their exact line number, in the reject table.
    """
    return (
        f"read_csv({sql_str(str(path))}, columns = {{'raw_line': 'VARCHAR'}}, header = false, "
        f"delim = {sql_str(LINE_DELIM)}, quote = '', escape = '', comment = '', auto_detect = false, "
        "strict_mode = true, null_padding = false, all_varchar = true, parallel = true, "
        f"compression = '{'gzip' if gz else 'none'}', encoding = 'utf-8', {rejects_options(rejects)})"
    )


def split_lines_sql(text: Path) -> str:
    """(line_number, line) for every physical line of a UTF-8 file: split on LF, one trailing CR dropped."""
    return f"""(
        select i as line_number, if(suffix(part, chr(13)), left(part, -1), part) as line
        from (
            select unnest(parts) as part, generate_subscripts(parts, 1) as i, len(parts) as n
            from (select string_split(content, chr(10)) as parts from read_text({sql_str(str(text))}))
        )
        where not (i = n and part = '')  -- the empty string after a final newline is not a line
    )"""


@contextlib.contextmanager
def decoded_copy(path: Path, gz: bool, limit: int | None = None) -> Iterator[Path]:
    """A temporary plain UTF-8 copy of the content for read_text (which wants no gzip and valid UTF-8).

    Copied in 1 MiB blocks; invalid UTF-8 bytes become U+FFFD and a leading BOM is dropped. With a
    `limit`, content of more than that many (decompressed) bytes is refused as a too large JSON document.
    """
    with tempfile.TemporaryDirectory(prefix="tokenledger-ingest-") as tmp:
        copy = Path(tmp) / "content.txt"
        decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        copied = 0
        with open_content(path, gz) as src, open(copy, "w", encoding="utf-8", newline="") as dst:
            while block := src.read(1 << 20):
                copied += len(block)
                if limit is not None and copied > limit:
                    raise Refused(document_too_large())
                dst.write(decoder.decode(block))
            dst.write(decoder.decode(b"", final=True))
        yield copy


def make_room_for_rejects(con: duckdb.DuckDBPyConnection, table: str, column: str, where: str, positions: str) -> None:
    """Renumber reader ordinals so that they skip the positions taken by rejected records.

    The reader numbers its output 1..n leaving rejected records out. If the rejects' true positions
    are r_1 < r_2 < ... (`positions`: a table with a column `position`) and gap_j = r_j - j, output row
    k belongs at k + #{j : gap_j < k}, the k-th positive integer that no reject takes.
    """
    con.execute(
        f"""create or replace temp table ingest_gaps as
            select position - row_number() over (order by position) as gap from {positions}"""
    )
    con.execute(
        f"""update {table} set {column} = {column}
                + (select count(*) from ingest_gaps where ingest_gaps.gap < {table}.{column})
            where {where} and {column} > (select min(gap) from ingest_gaps)"""
    )
    con.execute("drop table ingest_gaps")


# ---------------------------------------------------------------------------------------------
# JSON Lines (gateway JSONL, and the JSON Lines formats landed in raw.source_documents)


@dataclass(frozen=True)
class LineTable:
    """Where a JSON Lines file lands: one row per non-blank line, the line number physical."""

    table: str
    text_column: str
    stamp: str = ""  # SQL between the lineage and line_number (source_documents: its format and document_number)

    @property
    def numbered(self) -> bool:
        return self.table == SOURCE_DOCUMENTS


SOURCE_DOCUMENTS = "raw.source_documents"
GATEWAY_LINES = LineTable("raw.gateway_requests", "raw_line")
# The tables whose raw text is stored with zstd (zstd_text): files land concurrently only when both have the hint.
ZSTD_TABLES = (GATEWAY_LINES.table, SOURCE_DOCUMENTS)


def document_lines(file_format: str) -> LineTable:
    return LineTable(SOURCE_DOCUMENTS, "raw_document", f", {sql_str(file_format)}, null")


def has_zstd_hint(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether `table` was created with its text column's zstd storage hint (the raw DDL's)."""
    schema, name = table.split(".")
    (ddl,) = con.execute(
        "select sql from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
    ).fetchone()  # type: ignore[misc]
    return "USING COMPRESSION ZSTD" in ddl.upper()


@contextlib.contextmanager
def zstd_text(con: duckdb.DuckDBPyConnection, table: str) -> Iterator[None]:
    """Write the raw text with zstd even when `table` was created without the hint.

    dbt's on-run-start hook may have created the table first; the automatic compression choice
    (DICT_FSST) then makes the load ~2.5x slower and the table ~6x larger. force_compression is
    a database-wide setting: it is reset here, and again after any rollback (ingest_file).
    """
    if has_zstd_hint(con, table):
        yield
        return
    con.execute("set force_compression = 'zstd'")
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):  # fails in an aborted transaction: reset after the rollback
            con.execute("reset force_compression")


def land_lines(
    con: duckdb.DuckDBPyConnection, source: Path, gz: bool, lin: Lineage, t: LineTable, *, fallback: bool
) -> Landed:
    """One row per non-blank physical line (inside the caller's transaction).

    Blank lines are inserted as NULL (so the numbering stays physical) and deleted at the end.
    """
    if fallback:
        inserted, recovered = _insert_split_lines(con, source, gz, lin, t), 0
    else:
        rejects = f"ingest_rejects_{lin.load_id}"
        drop_rejects(con, rejects)
        try:
            (inserted,) = con.execute(
                f"""insert into {t.table}
                    select {lin.head_sql}{t.stamp}, ordinality,
                           case when {blank_sql('raw_line')} then null else raw_line end, {lin.loaded_at_sql}
                    from {line_reader_sql(source, gz, rejects)} with ordinality"""
            ).fetchone()  # type: ignore[misc]
        except duckdb.InvalidInputException as exc:
            # Stray CR / mixed line endings: the CSV state machine gives up on the whole file.
            if STATE_MACHINE_ERROR in str(exc):
                raise NeedsFallback(first_line(exc)) from exc
            raise
        recovered = _land_rejected_lines(con, rejects, lin, t)
        drop_rejects(con, rejects)
    (blank,) = con.execute(
        f"delete from {t.table} where {lin.where} and {t.text_column} is null"
    ).fetchone()  # type: ignore[misc]
    if t.numbered:
        _number_documents(con, lin)
    rows = int(inserted) + recovered - int(blank)
    notes = [f"{rows} lines landed", f"{blank} blank lines skipped"]
    if recovered:
        notes.append(f"{recovered} lines recovered from the reader's reject table")
    if fallback:
        notes.append("split by the fallback reader")
    return Landed(rows, ", ".join(notes))


def _land_rejected_lines(con: duckdb.DuckDBPyConnection, rejects: str, lin: Lineage, t: LineTable) -> int:
    """Land the lines the reader rejected, renumbering the others around them; returns how many."""
    (count,) = con.execute(f"select count(distinct line) from temp.{rejects}").fetchone()  # type: ignore[misc]
    if not count:
        return 0
    # csv_line starts with the empty lines before it (and the LF of a CRLF): a line never starts with CR/LF.
    con.execute(
        f"""create or replace temp table ingest_rejected_lines as
            select line as position, ltrim(any_value(csv_line), chr(13) || chr(10)) as raw_line
            from temp.{rejects} group by line"""
    )
    make_room_for_rejects(con, t.table, "line_number", lin.where, "ingest_rejected_lines")
    con.execute(
        f"""insert into {t.table}
            select {lin.head_sql}{t.stamp}, position, case when {blank_sql('raw_line')} then null else raw_line end,
                   {lin.loaded_at_sql}
            from ingest_rejected_lines"""
    )
    con.execute("drop table ingest_rejected_lines")
    return int(count)


def _insert_split_lines(con: duckdb.DuckDBPyConnection, source: Path, gz: bool, lin: Lineage, t: LineTable) -> int:
    """Fallback: split a decoded copy on LF in SQL (read_text + string_split)."""
    with decoded_copy(source, gz) as text:
        (inserted,) = con.execute(
            f"""insert into {t.table}
                select {lin.head_sql}{t.stamp}, line_number, case when {blank_sql('line')} then null else line end,
                       {lin.loaded_at_sql}
                from {split_lines_sql(text)}"""
        ).fetchone()  # type: ignore[misc]
    return int(inserted)


def _number_documents(con: duckdb.DuckDBPyConnection, lin: Lineage) -> None:
    """document_number = the row's 1-based position among the load's landed lines, in line order."""
    con.execute(
        f"""update {SOURCE_DOCUMENTS} as d set document_number = n.document_number
            from (select line_number, row_number() over (order by line_number) as document_number
                  from {SOURCE_DOCUMENTS} where {lin.where}) as n
            where d.{lin.where} and d.line_number = n.line_number"""
    )


# ---------------------------------------------------------------------------------------------
# One whole-file JSON document


def land_document(con: duckdb.DuckDBPyConnection, source: Path, sniffed: Sniffed, lin: Lineage) -> Landed:
    """One raw.source_documents row holding the whole decompressed file (BOM dropped), as read_text reads it."""
    with decoded_copy(source, sniffed.gzip, limit=DOCUMENT_LIMIT) as text:
        con.execute(
            f"""insert into {SOURCE_DOCUMENTS}
                select {lin.head_sql}, {sql_str(sniffed.file_format)}, 1, 1, content, {lin.loaded_at_sql}
                from read_text({sql_str(str(text))})"""
        )
    return Landed(1, "1 document landed (the whole file)")


# ---------------------------------------------------------------------------------------------
# CSV (Jobs export, LiteLLM spend logs)


@dataclass(frozen=True)
class JobsLayout:
    known: dict[str, int]  # known column -> 1-based field position (its first occurrence)
    extras: tuple[tuple[str, int], ...]  # (JSON key, 1-based field position) of every other field


def jobs_layout(header: Sequence[str]) -> JobsLayout:
    """Map header fields (trimmed, lower-cased) to the known columns; every other field is an extra."""
    known: dict[str, int] = {}
    extras: list[tuple[str, int]] = []
    keys: set[str] = set()
    for position, raw_name in enumerate(header, start=1):
        name = raw_name.strip().lower()
        if name in JOBS_COLUMNS and name not in known:
            known[name] = position
            continue
        key = name or f"column_{position}"
        if key in keys or key in JOBS_COLUMNS:  # a repeated name keeps its position as a suffix
            key = f"{key}_{position}"
        keys.add(key)
        extras.append((key, position))
    missing = [name for name in JOBS_REQUIRED if name not in known]
    if missing:
        raise Refused(f"missing required columns: {', '.join(missing)}", JOBS_CSV)
    return JobsLayout(known, tuple(extras))


@dataclass(frozen=True)
class CsvTarget:
    """How the records of a CSV file become rows of one raw table (inside the caller's transaction)."""

    table: str
    ordinal: str  # the column holding the record's 1-based ordinal among the file's data records
    parsed: str  # select list between the lineage and loaded_at for a parsed record (c1..cN, ordinality)
    rejected: str  # the same for a rejected record (position, line_number, raw_record, parse_error)
    kept: str  # where a rejected record's text goes, for the manifest message
    number_lines: bool = False  # also give parsed records their physical line_number


def jobs_target(header: Sequence[str]) -> CsvTarget:
    layout = jobs_layout(header)
    known = ", ".join(f"c{layout.known[name]}" if name in layout.known else "null" for name in JOBS_COLUMNS)
    extras = (
        "json_object(" + ", ".join(f"{sql_str(key)}, c{pos}" for key, pos in layout.extras) + ")::varchar"
        if layout.extras
        else "null"
    )
    nulls = ", ".join("null" for _ in JOBS_COLUMNS)
    return CsvTarget(
        "raw.jobs_export", "row_number", f"ordinality, null, {known}, {extras}, null, null",
        f"position, line_number, {nulls}, null, raw_record, parse_error", "kept in raw_record",
    )  # fmt: skip


def document_keys(header: Sequence[str]) -> list[str]:
    """LiteLLM CSV: JSON keys for the header fields, as written (BOM removed). An empty name becomes
    `column_<position>`, a repeated one gets `_<position>` appended, so that no key is lost or repeated."""
    keys: list[str] = []
    for position, name in enumerate(header, start=1):
        key = name or f"column_{position}"
        while key in keys:
            key = f"{key}_{position}"
        keys.append(key)
    return keys


def litellm_target(header: Sequence[str]) -> CsvTarget:
    """Each record as a JSON object of its fields, every value a string (an empty field "")."""
    fields = ", ".join(f"{sql_str(key)}, coalesce(c{pos}, '')" for pos, key in enumerate(document_keys(header), start=1))
    stamp = sql_str(LITELLM_CSV)
    return CsvTarget(
        SOURCE_DOCUMENTS, "document_number", f"{stamp}, ordinality, null, json_object({fields})::varchar",
        f"{stamp}, position, line_number, json_object('_unparsed', raw_record, '_error', parse_error)::varchar",
        'kept as {"_unparsed": <record>, "_error": <reason>} documents', number_lines=True,
    )  # fmt: skip


def csv_reader_sql(path: Path, sniffed: Sniffed, rejects: str) -> str:
    """read_csv with every option explicit: fields c1..cN (N = header fields), all VARCHAR, nothing sniffed."""
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, len(sniffed.header) + 1))
    return (
        f"read_csv({sql_str(str(path))}, columns = {{{columns}}}, header = true, skip = {sniffed.skip_lines}, "
        "delim = ',', quote = '\"', escape = '\"', comment = '', auto_detect = false, all_varchar = true, "
        "null_padding = false, strict_mode = true, allow_quoted_nulls = true, parallel = true, "
        f"compression = '{'gzip' if sniffed.gzip else 'none'}', encoding = 'utf-8', {rejects_options(rejects)})"
    )


def land_csv(
    con: duckdb.DuckDBPyConnection, source: Path, sniffed: Sniffed, lin: Lineage, t: CsvTarget, *, exact_positions: bool
) -> Landed:
    """One row of t.table per CSV record, rejected records included (inside the caller's transaction)."""
    rejects = f"ingest_rejects_{lin.load_id}"
    drop_rejects(con, rejects)
    (parsed,) = con.execute(
        f"""insert into {t.table}
            select {lin.head_sql}, {t.parsed}, {lin.loaded_at_sql}
            from {csv_reader_sql(source, sniffed, rejects)} with ordinality"""
    ).fetchone()  # type: ignore[misc]
    (rejected,) = con.execute(f"select count(distinct line) from temp.{rejects}").fetchone()  # type: ignore[misc]
    line_pass = exact_positions and bool(rejected or t.number_lines)
    if line_pass:
        try:
            _csv_row_starts(con, source, sniffed.gzip)
        except duckdb.Error as exc:
            raise NeedsFallback(first_line(exc)) from exc
    if rejected:
        _land_rejected_records(con, sniffed, rejects, lin, t, exact_positions)
    if line_pass and t.number_lines:
        _number_record_lines(con, sniffed, lin, t)
    if line_pass:
        con.execute("drop table ingest_row_starts")
    drop_rejects(con, rejects)
    rows = int(parsed) + int(rejected)
    message = f"{rows} records landed, {rejected} rejected by the CSV parser ({t.kept})"
    if rejected and not exact_positions:
        message += f", their {t.ordinal} approximate and line_number unknown (physical-line pass failed)"
    elif t.number_lines and not exact_positions:
        message += ", line_number unknown (physical-line pass failed)"
    return Landed(rows, message)


def _land_rejected_records(
    con: duckdb.DuckDBPyConnection, sniffed: Sniffed, rejects: str, lin: Lineage, t: CsvTarget, exact: bool
) -> None:
    """Land rejected records (ragged, bad quoting, invalid UTF-8) with raw_record and parse_error.

    DuckDB reports a rejected record's `line` as a count of the rows it saw from the top of the file
    (skipped lines, header and blank lines included; newlines inside quoted fields not). The
    physical-line pass (temp.ingest_row_starts, built by the caller when `exact`) maps that count to
    the line where the record starts and to the record's ordinal among data records; the parsed
    records are then renumbered around the rejected ones.
    """
    con.execute(
        f"""create or replace temp table ingest_rejected_records as
            select line as reader_row,
                   ltrim(any_value(csv_line), chr(13) || chr(10)) as raw_record,
                   arg_max(error_type || ': ' || error_message, byte_position) as parse_error
            from temp.{rejects} group by line"""
    )
    header_row = sniffed.skip_lines + 1
    if exact:
        con.execute(
            f"""create or replace temp table ingest_positioned as
                select r.*, s.line_number,
                       (select count(*) from ingest_row_starts b
                        where b.reader_row > {header_row} and b.reader_row <= r.reader_row and not b.blank)
                           as position
                from ingest_rejected_records r left join ingest_row_starts s using (reader_row)"""
        )
    else:  # as if there were no blank lines between the header and the record
        con.execute(
            f"""create or replace temp table ingest_positioned as
                select *, null::bigint as line_number, reader_row - {header_row} as position
                from ingest_rejected_records"""
        )
    make_room_for_rejects(con, t.table, t.ordinal, lin.where, "ingest_positioned")
    con.execute(
        f"""insert into {t.table}
            select {lin.head_sql}, {t.rejected}, {lin.loaded_at_sql}
            from ingest_positioned"""
    )
    con.execute("drop table ingest_rejected_records")
    con.execute("drop table ingest_positioned")


def _number_record_lines(con: duckdb.DuckDBPyConnection, sniffed: Sniffed, lin: Lineage, t: CsvTarget) -> None:
    """line_number of every record: the k-th non-blank row start below the header is record k's first line."""
    con.execute(
        f"""update {t.table} as d set line_number = s.line_number
            from (select row_number() over (order by reader_row) as ordinal, line_number from ingest_row_starts
                  where reader_row > {sniffed.skip_lines + 1} and not blank) as s
            where d.{lin.where} and d.{t.ordinal} = s.ordinal"""
    )


def _csv_row_starts(con: duckdb.DuckDBPyConnection, source: Path, gz: bool) -> None:
    """temp.ingest_row_starts(reader_row, line_number, blank): the physical lines where CSV rows start.

    A physical line starts a row when the number of quote characters above it is even (an escaped
    quote is doubled, so it never changes the parity); rows are counted the way DuckDB counts them.
    It runs only for files with rejected records, on a decoded copy split with read_text: CSV files
    legitimately mix CRLF row ends with LF inside quoted fields, which the line reader cannot split.
    """
    with decoded_copy(source, gz) as text:
        con.execute(
            f"""create or replace temp table ingest_row_starts as
                select row_number() over (order by line_number) as reader_row, line_number, line = '' as blank
                from (
                    select line_number, line,
                           coalesce(sum(length(line) - length(replace(line, '"', '')))
                                    over (order by line_number rows between unbounded preceding and 1 preceding), 0)
                               as quotes_before
                    from {split_lines_sql(text)}
                )
                where quotes_before % 2 = 0"""
        )


# ---------------------------------------------------------------------------------------------
# One file, one transaction


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    (value,) = con.execute("select coalesce(max(load_id), 0) + 1 from raw.load_manifest").fetchone()  # type: ignore[misc]
    return int(value)


def insert_manifest_row(
    con: duckdb.DuckDBPyConnection, *, load_id: int, path: Path, sha: str | None, file_bytes: int | None,
    file_format: str | None, rows: int, status: str, message: str, started_at: datetime, loaded_at: datetime,
) -> None:  # fmt: skip
    con.execute(
        "insert into raw.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, str(path), path.name, sha, file_bytes, file_format, rows, status, message, started_at, loaded_at],
    )


def record_outcome(
    con: duckdb.DuckDBPyConnection, path: Path, scan: FileScan | None, file_format: str | None,
    status: str, message: str, started_at: datetime, load_id: int,
) -> Outcome:  # fmt: skip
    """A manifest row on its own, in its own small transaction (skipped and refused files)."""
    con.begin()
    insert_manifest_row(
        con, load_id=load_id, path=path, sha=scan.sha256 if scan else None, file_bytes=scan.size if scan else None,
        file_format=file_format, rows=0,
        status=status, message=message, started_at=started_at, loaded_at=utc_now(),
    )  # fmt: skip
    con.commit()
    return Outcome(status, load_id, 0, message)


def land_rows(con: duckdb.DuckDBPyConnection, source: Path, sniffed: Sniffed, lin: Lineage, *, fallback: bool) -> Landed:
    fmt = sniffed.file_format
    if fmt == JOBS_CSV:
        return land_csv(con, source, sniffed, lin, jobs_target(sniffed.header), exact_positions=not fallback)
    lines = GATEWAY_LINES if fmt == GATEWAY_JSONL else document_lines(fmt)
    with zstd_text(con, lines.table):
        if sniffed.layout == LINES:
            return land_lines(con, source, sniffed.gzip, lin, lines, fallback=fallback)
        if sniffed.layout == DOCUMENT:
            return land_document(con, source, sniffed, lin)
        return land_csv(con, source, sniffed, lin, litellm_target(sniffed.header), exact_positions=not fallback)


def load_file(
    con: duckdb.DuckDBPyConnection, path: Path, sniffed: Sniffed, scan: FileScan, started_at: datetime,
    options: Options, load_id: int,
) -> Outcome:  # fmt: skip
    """Raw rows + manifest row in ONE transaction; when the fast path cannot finish, redo with the fallback.
    A gateway JSONL load whose keys near-miss the known ones is refused here, before the commit (check_gateway_keys).

    JSONL content with a 0x1F byte takes the fallback reader: known from the hash pass for a plain
    file, from scan_content (run before the load) for a gzip file.
    """
    jsonl = sniffed.layout == LINES
    fallback = jsonl and bool(scan.has_unit_separator)
    with readable_path(path) as source:
        while True:
            con.begin()
            lin = Lineage(load_id, path, scan.sha256, utc_now())
            try:
                landed = land_rows(con, source, sniffed, lin, fallback=fallback)
            except NeedsFallback:
                if fallback:
                    raise
                con.rollback()
                con.execute("reset force_compression")  # in case zstd_text could not reset it
                fallback = True
                continue
            if sniffed.file_format == GATEWAY_JSONL and not options.accept_columns:
                check_gateway_keys(con, lin, scan)
            insert_manifest_row(
                con, load_id=lin.load_id, path=path, sha=scan.sha256, file_bytes=scan.size,
                file_format=sniffed.file_format, rows=landed.rows, status="loaded", message=landed.message,
                started_at=started_at, loaded_at=lin.loaded_at,
            )  # fmt: skip
            con.commit()
            return Outcome("loaded", lin.load_id, landed.rows, landed.message)


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, options: Options = Options(), scanned: Future[FileScan] | None = None,
    load_id: int | None = None,
) -> Outcome:
    """Load, skip or refuse one file. A problem with the file refuses that file only.

    Bytes already loaded are skipped; bytes whose load was unloaded (raw.load_unloads) are skipped too,
    unless options.reload: then they land again as a new load. `scanned`, when given, is this file's
    scan_file already under way (ingest_all hashes files ahead of their loads). `load_id`, when given, is the id
    reserved for this file (its manifest row's, whatever the outcome); else the next one."""
    started_at = utc_now()
    path = path.absolute()
    load_id = next_load_id(con) if load_id is None else load_id
    scan: FileScan | None = None
    file_format: str | None = None
    try:
        if (problem := regular_file_problem(path)) is not None:
            raise Refused(problem)
        scan = scanned.result() if scanned is not None else scan_file(path)
        previous = con.execute(
            "select m.load_id, m.format, u.unloaded_at, u.unloaded_by, u.unload_reason "
            "from raw.load_manifest m left join raw.load_unloads u on u.load_id = m.load_id "
            "where m.file_sha256 = ? and m.status = 'loaded' order by u.load_id is not null, m.load_id limit 1",
            [scan.sha256],
        ).fetchone()
        if previous is not None and previous[2] is None:
            message = f"already loaded as load {previous[0]}"
            return record_outcome(con, path, scan, previous[1], "skipped", message, started_at, load_id)
        if previous is not None and not options.reload:
            unloaded_id, previous_format, unloaded_at, unloaded_by, reason = previous
            message = (f"unloaded as load {unloaded_id} (by {unloaded_by} at {unloaded_at:%Y-%m-%d %H:%M} UTC: {reason}); "
                       "pass --reload to load it again")
            return record_outcome(con, path, scan, previous_format, "skipped", message, started_at, load_id)
        sniffed = sniff(con, path, scan)
        file_format = sniffed.file_format
        if sniffed.file_format == JOBS_CSV and not options.accept_columns:
            check_jobs_header(sniffed.header)
        if sniffed.layout != DOCUMENT:  # one record per line (or CSV record): every line must fit the limit
            if scan.gzip:
                scan = scan_content(path, scan)
            if scan.long_line is not None:
                raise Refused(long_line_message(*scan.long_line, limit("TOKENLEDGER_MAX_LINE_BYTES")))
        return load_file(con, path, sniffed, scan, started_at, options, load_id)
    except Exception as exc:
        with contextlib.suppress(duckdb.Error):
            con.rollback()  # raises when no transaction is open
        con.execute("reset force_compression")  # in case zstd_text could not reset it
        if isinstance(exc, Refused):
            message, file_format = str(exc), exc.file_format or file_format
        elif scan is not None and scan.gzip and "gzip" in str(exc).lower():
            message = f"unreadable gzip: {first_line(exc)}"
        elif STATE_MACHINE_ERROR in str(exc):
            message = f"load failed: CSV rows end with mixed CRLF/LF or a stray CR ({first_line(exc)})"
        else:
            message = f"load failed: {first_line(exc)}"
        return record_outcome(con, path, scan, file_format, "refused", message, started_at, load_id)


# ---------------------------------------------------------------------------------------------
# --target postgres: DuckDB parses in memory, psycopg COPY lands each load in Postgres

MANIFEST = "raw.load_manifest"
UNLOADS = "raw.load_unloads"
DATA_TABLES = ("raw.gateway_requests", "raw.jobs_export", "raw.source_documents")
COPY_BATCH = 10_000  # rows fetched from DuckDB at a time
# The raw tables' DuckDB column types -> the Postgres type a binary COPY sends (~25% faster than text COPY).
PG_COPY_TYPES = {"BIGINT": "int8", "VARCHAR": "text", "TIMESTAMP": "timestamp"}


def postgres_ddl() -> list[str]:
    """The raw DDL for Postgres: the same statements (bigint, varchar, timestamp) without DuckDB's storage hint."""
    return raw_ddl("postgres")


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, list[str]]:
    """The table's columns in order, comma-separated (the raw DDL's order, which Postgres's tables share), and
    their types for a binary COPY."""
    description = con.execute(f"select * from {table} limit 0").description
    return ", ".join(name for name, *_ in description), [PG_COPY_TYPES[str(kind)] for _, kind, *_ in description]


def mirror_manifest(pg: psycopg.Connection[Any], con: duckdb.DuckDBPyConnection) -> None:
    """Copy what ingest_file reads of Postgres's manifest into the in-memory one: every `loaded` row (the skip
    check) and the row with the highest load_id (next_load_id). Skipped and refused history stays behind."""
    columns, _ = table_columns(con, MANIFEST)
    rows = pg.execute(
        f"select {columns} from {MANIFEST} where status = 'loaded' or load_id = (select max(load_id) from {MANIFEST})"
    ).fetchall()
    if rows:
        con.executemany(f"insert into {MANIFEST} ({columns}) values ({', '.join('?' * len(rows[0]))})", rows)
    unloads = pg.execute(f"select load_id, unloaded_at, unloaded_by, unload_reason from {UNLOADS}").fetchall()
    if unloads:  # the skip check reads them (bytes whose load was unloaded)
        con.executemany(f"insert into {UNLOADS} values (?, ?, ?, ?)", unloads)


def copy_to_postgres(
    con: duckdb.DuckDBPyConnection, pg: psycopg.Connection[Any], tables: Iterable[str], load_id: int
) -> None:
    """One load's rows of each table, from the in-memory DuckDB into Postgres with COPY, in ONE Postgres transaction."""
    with pg.transaction(), pg.cursor() as cur:
        for table in tables:
            columns, types = table_columns(con, table)
            con.execute(f"select {columns} from {table} where load_id = ?", [load_id])
            with cur.copy(f"copy {table} ({columns}) from stdin (format binary)") as copy:
                copy.set_types(types)
                while batch := con.fetchmany(COPY_BATCH):
                    for row in batch:
                        copy.write_row(row)


def publish(pg: psycopg.Connection[Any], con: duckdb.DuckDBPyConnection, outcome: Outcome) -> Outcome:
    """Land one file's outcome in Postgres: its raw rows and manifest row commit together or not at all.

    When Postgres rejects the rows (e.g. a NUL character, which its text cannot hold), that transaction is
    rolled back and the file is recorded as refused there and in the in-memory manifest. The load's raw
    rows then leave the in-memory DuckDB (its manifest row stays, for the skip check and next_load_id).
    """
    import psycopg

    tables = (*DATA_TABLES, MANIFEST) if outcome.status == "loaded" else (MANIFEST,)
    try:
        copy_to_postgres(con, pg, tables, outcome.load_id)
    except psycopg.Error as exc:
        if pg.closed:  # the server is gone, not this file's fault
            raise
        outcome = Outcome("refused", outcome.load_id, 0, f"load failed: {first_line(exc)}")
        con.execute(
            f"update {MANIFEST} set rows = 0, status = 'refused', message = ?, loaded_at = ? where load_id = ?",
            [outcome.message, utc_now(), outcome.load_id],
        )
        copy_to_postgres(con, pg, (MANIFEST,), outcome.load_id)
    for table in DATA_TABLES:
        con.execute(f"delete from {table} where load_id = ?", [outcome.load_id])
    return outcome


def ingest_into_postgres(files: Sequence[Path], tty: bool, options: Options = Options()) -> int:
    """--target postgres: each file is ingested into an in-memory DuckDB, then published to Postgres."""
    import psycopg

    try:
        pg = psycopg.connect(pg_conninfo(), autocommit=True)
    except psycopg.Error as exc:
        print(f"ingest: cannot reach the Postgres warehouse {pg_label()}: {first_line(exc)}", file=sys.stderr)
        return 2
    con = connect(":memory:")
    try:
        with pg, postgres_lock(pg):
            for statement in postgres_ddl():
                pg.execute(statement)
            ensure_raw_tables(con)
            mirror_manifest(pg, con)
            return ingest_all(con, files, tty, publish=partial(publish, pg, con), options=options)
    except psycopg.Error as exc:  # setup failed, or the connection was lost mid-run
        print(f"ingest: Postgres warehouse {pg_label()}: {first_line(exc)}", file=sys.stderr)
        return 2
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# CLI


DOC_SUFFIXES = (".md", ".markdown", ".rst")


def is_documentation(name: str) -> bool:
    """READMEs and docs beside exports in a directory are not exports (a file named explicitly is always tried)."""
    return name.upper().startswith("README") or name.lower().endswith(DOC_SUFFIXES)


def expand_inputs(paths: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Files as given; for a directory, every file below it that is not hidden (no dot-name on the way),
    not documentation (README*, *.md, *.rst) and not in an organisation folder (one holding a
    .tokenledger-org file: common.ORG_MARKER), sorted. Also the problems found on the way, as
    `refused <dir>: <problem>` lines: a directory (or one below it) that cannot be read, and a directory
    with no file to ingest."""
    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        top = Path(raw)
        if not top.is_dir():
            files.append(top)
            continue
        found: list[Path] = []

        def unreadable(exc: OSError) -> None:
            problems.append(f"refused {exc.filename}: cannot read the directory ({exc.strerror or exc})")

        for root, dirs, names in os.walk(top, onerror=unreadable):
            if ORG_MARKER in names:  # an organisation folder (read by the build, never ingested)
                dirs[:] = []
                continue
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found.extend(Path(root) / name for name in names if not name.startswith(".") and not is_documentation(name))
        if not found and not any(line.startswith(f"refused {top}") for line in problems):
            problems.append(f"refused {raw}: no files to ingest in this directory")
        files.extend(sorted(found, key=str))
    return files, problems


def report(outcome: Outcome, shown: str, seconds: float, out: TextIO, err: TextIO, tty: bool) -> None:
    """One result line per file on stdout; refusals also on stderr; on a TTY, the rate on stderr."""
    if outcome.status == "loaded":
        print(f"loaded {shown}: {outcome.rows} rows as load {outcome.load_id} ({outcome.message})", file=out)
        if tty:
            rate = outcome.rows / seconds if seconds > 0 else 0.0
            print(f"loaded {shown}: {outcome.rows} rows in {seconds:.2f}s ({rate:,.0f} rows/s)", file=err)
    elif outcome.status == "skipped":
        print(f"skipped {shown}: {outcome.message}", file=out)
    else:
        print(f"refused {shown}: {outcome.message}", file=out)
        print(f"refused {shown}: {outcome.message}", file=err)
    out.flush()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tokenledger ingest",
        description="Land gateway JSONL, Jobs export CSV, OTLP traces, LiteLLM spend logs and OpenAI / Anthropic "
        "usage and cost reports (plain or gzip) in the warehouse's raw schema.",
    )
    parser.add_argument(
        "--target", choices=("duckdb", "postgres", "spark"), default="duckdb",
        help="the warehouse engine (default: duckdb); postgres is reached through $TOKENLEDGER_PG_HOST, _PORT, "
        "_USER, _PASSWORD and _DBNAME; spark lands Parquet files in the lake its raw tables read",
    )  # fmt: skip
    parser.add_argument(
        "--db", type=Path, default=None, help="warehouse file (default: $TOKENLEDGER_DB, else warehouse/tokenledger.duckdb)"
    )
    parser.add_argument(
        "--lake", type=Path, default=None, metavar="DIR",
        help="--target spark: the Parquet lake (default: $TOKENLEDGER_LAKE, else warehouse/lake)",
    )  # fmt: skip
    parser.add_argument(
        "--accept-columns", action="store_true",
        help="load a file as is even when a column name (Jobs CSV) or key (gateway JSONL) looks like a misspelling of "
        "a known one (by default such a file is refused: `did you mean ...?`)",
    )  # fmt: skip
    parser.add_argument(
        "--reload", action="store_true",
        help="land bytes again whose earlier load was unloaded (tokenledger unload); by default they are skipped",
    )  # fmt: skip
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories (recursed, sorted)")
    args = parser.parse_args(argv)
    if args.target != "duckdb" and args.db is not None:
        parser.error(f"--db is the DuckDB warehouse file: it cannot be combined with --target {args.target}")  # exits 2
    if args.target != "spark" and args.lake is not None:
        parser.error("--lake is the Spark target's Parquet lake: it needs --target spark")  # exits 2
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        parser.error("no such file or directory: " + ", ".join(missing))  # exits 2
    return args


def ingest_all(
    con: duckdb.DuckDBPyConnection, files: Sequence[Path], tty: bool,
    publish: Callable[[Outcome], Outcome] | None = None, options: Options = Options(),
) -> int:  # fmt: skip
    """Ingest the files in order into `con` (raw tables present), reporting each; returns the exit status.

    `publish`, when given, takes each file's outcome elsewhere (Postgres, the lake) and returns the final one: the
    files then land one at a time. Otherwise up to ingest_workers() files land at once (ingest_concurrently)."""
    con.execute(f"set enable_progress_bar = {'true' if tty else 'false'}")
    keep_block_memory(con)
    con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    workers = min(ingest_workers(), len(files))
    if publish is None and workers > 1 and all(has_zstd_hint(con, t) for t in ZSTD_TABLES):
        return ingest_concurrently(con, files, tty, options, workers)
    refused = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokenledger-scan") as pool:
        ahead: Future[FileScan] | None = None
        for i, path in enumerate(files):
            started = time.perf_counter()
            scanned, ahead = ahead, scan_ahead(pool, files[i + 1] if i + 1 < len(files) else None)
            outcome = ingest_file(con, path, options, scanned)
            if publish is not None:
                outcome = publish(outcome)
            report(outcome, str(path), time.perf_counter() - started, sys.stdout, sys.stderr, tty)
            refused += outcome.status == "refused"
    return 1 if refused else 0


def ingest_workers() -> int:
    """How many files land at once: env TOKENLEDGER_INGEST_WORKERS (a positive whole number), else the machine's
    cores, at most DEFAULT_INGEST_WORKERS. 1 lands the files one after another."""
    raw = os.environ.get(INGEST_WORKERS, "").strip()
    if not raw:
        return max(1, min(os.cpu_count() or 1, DEFAULT_INGEST_WORKERS))
    if not raw.isdigit() or int(raw) <= 0:
        raise SystemExit(f"ingest: {INGEST_WORKERS} must be a positive whole number of files, got {raw!r}")
    return int(raw)


def ingest_concurrently(
    con: duckdb.DuckDBPyConnection, files: Sequence[Path], tty: bool, options: Options, workers: int
) -> int:
    """Land up to `workers` files at once, each on its own cursor, with the outcome the files would have one after
    another in the order given: every file keeps its one transaction (rows + manifest row), its load id is reserved
    up front in that order (the next id + its position), the results are reported in that order, and a file whose
    bytes an earlier file of the call also holds waits for that file's outcome before its skip check. One thread
    hashes the files in order ahead of their loads. DuckDB's appends from concurrent transactions do not conflict;
    each insert numbers its lines on one core, so two files load on two cores."""
    first_id = next_load_id(con)
    refused = 0
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokenledger-scan") as scanner,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tokenledger-load") as loaders,
    ):
        scans = [scan_ahead(scanner, path) for path in files]
        landing: list[Future[tuple[Outcome, float]]] = []
        for i, path in enumerate(files):
            landing.append(loaders.submit(land_in_turn, con, path, options, scans, landing, i, first_id + i))
        for path, future in zip(files, landing, strict=True):
            outcome, seconds = future.result()
            report(outcome, str(path), seconds, sys.stdout, sys.stderr, tty)
            refused += outcome.status == "refused"
    return 1 if refused else 0


def land_in_turn(
    con: duckdb.DuckDBPyConnection, path: Path, options: Options, scans: Sequence[Future[FileScan] | None],
    landing: Sequence[Future[tuple[Outcome, float]]], i: int, load_id: int,
) -> tuple[Outcome, float]:  # fmt: skip
    """File `i` of ingest_concurrently (`scans`: every file's hash; `landing`: the loads submitted so far, the files
    before it among them) on a cursor of its own: its outcome and seconds. When an earlier file has the same bytes,
    its outcome comes first (the skip check)."""
    started = time.perf_counter()
    scanned = scans[i]
    if scanned is not None and scanned.exception() is None:
        sha = scanned.result().sha256
        for j in range(i - 1, -1, -1):  # the scans run in order on one thread: every earlier one is done
            before = scans[j]
            if before is not None and before.exception() is None and before.result().sha256 == sha:
                landing[j].exception()  # waits for it, whatever its outcome
                break
    cursor = con.cursor()
    try:
        cursor.execute("set TimeZone = 'UTC'")
        cursor.execute("set enable_progress_bar = false")  # bars of concurrent loads would overwrite each other
        outcome = ingest_file(cursor, path, options, scanned, load_id)
    finally:
        cursor.close()
    return outcome, time.perf_counter() - started


def keep_block_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Let DuckDB keep BLOCK_ALLOCATOR_MEMORY of block memory between loads instead of handing it back to the system
    and faulting it in again: measured ~10% off a run of 300k-line gateway files, and a lower peak RSS. The setting
    cannot be lowered once set on a database instance: a larger value already there stays."""
    with contextlib.suppress(duckdb.InvalidInputException):
        con.execute(f"set block_allocator_memory = '{BLOCK_ALLOCATOR_MEMORY}'")


def scan_ahead(pool: ThreadPoolExecutor, path: Path | None) -> Future[FileScan] | None:
    """Start hashing the next file (scan_file) while the current one loads: the hash and the reads release the
    GIL and DuckDB's writer leaves a core to it. Only a regular file: a FIFO would block the thread."""
    if path is None or regular_file_problem(path.absolute()) is not None:
        return None
    return pool.submit(scan_file, path.absolute())


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    files, problems = expand_inputs(args.paths)
    for line in problems:  # an unreadable or empty directory: reported, and the run exits 1
        print(line)
        print(line, file=sys.stderr)
    for name in LIMITS:
        limit(name)  # a bad setting stops the run before anything is touched
    ingest_workers()
    tty = sys.stderr.isatty()
    options = Options(reload=args.reload, accept_columns=args.accept_columns)
    if args.target == "postgres":
        return max(ingest_into_postgres(files, tty, options), 1 if problems else 0)
    if args.target == "spark":
        from tokenledger import lake

        try:
            where = lake.lake_dir(args.lake)
        except lake.LakeError as exc:
            print(f"ingest: {exc}", file=sys.stderr)
            return 2
        return max(lake.ingest_into_lake(files, tty, options, where), 1 if problems else 0)
    db = args.db if args.db is not None else default_db_path()
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(warehouse_lock(db))
        except OSError as exc:  # the warehouse directory cannot be created or written (the lock file lives there)
            reason = f"{exc.strerror or exc} ({exc.filename or db})"
            print(f"ingest: cannot open the warehouse {db}: {reason}", file=sys.stderr)
            return 2
        try:
            con = connect(db)
        except (duckdb.Error, OSError) as exc:
            print(f"ingest: cannot open the warehouse {db}: {first_line(exc)}", file=sys.stderr)
            return 2
        try:
            ensure_raw_tables(con)
            return max(ingest_all(con, files, tty, options=options), 1 if problems else 0)
        finally:
            con.close()

if __name__ == "__main__":
    sys.exit(main())
