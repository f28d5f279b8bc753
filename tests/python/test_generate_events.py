"""tools/generate_events.py: deterministic, streaming, the documented mix, and ingestible as is.

Every count is recomputed here by parsing the output, independently of the generator's own summary.
Generations are small (a few thousand to 200k events) and written to tmp_path; no warehouse is built
with dbt: the ingest test lands one generated directory in a throwaway DuckDB file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import genai_prices
import generate_events as ge
import pytest

from tokenledger import ingest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT_ROOT / "tools" / "generate_events.py"
SEEDS = PROJECT_ROOT / "data" / "sample" / "org"
N, SEED = 20_000, 7
START, END = date(2026, 1, 1), date(2026, 2, 1)


def seed_column(name: str, column: str) -> set[str]:
    with open(SEEDS / name, newline="", encoding="utf-8") as handle:
        return {row[column].strip().lower() for row in csv.DictReader(handle) if row[column].strip()}


@dataclass
class Event:
    """One parsed line (a gateway request or a Jobs row)."""

    source: str
    file: str
    line: str  # the exact text (without the newline)
    id: str
    first_id: str  # the id of the event it belongs to (retry_of, else its own id)
    attempt: int
    at: datetime  # UTC
    agent: str
    key: str
    user: str
    team_tag: str
    model: str
    provider: str
    tokens: dict[str, int]


def parse_gateway(name: str, text: str) -> Event:
    obj = json.loads(text)
    assert isinstance(obj, dict)
    usage = (obj.get("response") or {}).get("usage") or {}
    headers = {k.lower(): v for k, v in (obj.get("headers") or {}).items()}
    assert obj["timestamp"].endswith("Z")
    return Event("gateway", name, text, obj["request_id"], obj["retry_of"] or obj["request_id"], obj["attempt"],
                 datetime.fromisoformat(obj["timestamp"][:-1]).replace(tzinfo=UTC),
                 obj["agent"] or "", obj["api_key_id"] or "", obj["user"] or "", headers.get("x-team", ""),
                 (obj.get("response") or {}).get("model", ""), obj["provider"], flatten(usage))


def flatten(usage: dict[str, Any], prefix: str = "") -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in usage.items():
        if isinstance(value, dict):
            out |= flatten(value, f"{prefix}{key}.")
        elif isinstance(value, int):
            out[prefix + key] = value
    return out


def parse_jobs(name: str, row: dict[str, str], text: str) -> Event:
    labels = json.loads(row["labels"]) if row["labels"] else {}
    at = datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    tokens = {k: int(row[k]) for k in ("input_tokens", "cached_input_tokens", "output_tokens") if row[k] != ""}
    return Event("jobs", name, text, row["job_id"], row["retry_of"] or row["job_id"], int(row["attempt"]), at,
                 row["agent"], row["api_key_id"], row["user_email"], labels.get("team", ""), row["model"],
                 row["provider"], tokens)


def read_dir(out: Path) -> list[Event]:
    events: list[Event] = []
    for path in sorted(out.iterdir()):
        data = path.read_bytes()
        text = (gzip.decompress(data) if path.name.endswith(".gz") else data).decode("utf-8")
        assert text.endswith("\n"), path
        if path.name.startswith("gateway-"):
            events += [parse_gateway(path.name, line) for line in text[:-1].split("\n")]
        else:
            lines = text[:-1].split("\n")
            assert lines[0] == ",".join(ge.JOBS_COLUMNS)
            for line in lines[1:]:
                (row,) = list(csv.reader(io.StringIO(line)))
                assert len(row) == len(ge.JOBS_COLUMNS), line
                events.append(parse_jobs(path.name, dict(zip(ge.JOBS_COLUMNS, row, strict=True)), line))
    return events


def generate(out: Path, events: int = N, *extra: str, seed: int = SEED, months: int = 1) -> Path:
    assert ge.main(["--events", str(events), "--months", str(months), "--seed", str(seed), "--out", str(out),
                    *extra]) == 0
    return out


def contents(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def parsed(small: Path) -> list[Event]:
    return read_dir(small)


@pytest.fixture(scope="module")
def distinct(parsed: list[Event]) -> list[Event]:
    """One line per distinct (source, id): second deliveries removed."""
    seen: dict[tuple[str, str], Event] = {}
    for event in parsed:
        seen.setdefault((event.source, event.id), event)
    return list(seen.values())


@pytest.fixture(scope="module")
def firsts(distinct: list[Event]) -> list[Event]:
    """The first attempt of every event."""
    return [event for event in distinct if event.id == event.first_id]


# --------------------------------------------------------------------------------------------------
# Determinism and files
# --------------------------------------------------------------------------------------------------
def test_files_are_one_per_day_and_source(small: Path) -> None:
    names = sorted(path.name for path in small.iterdir())
    days = [f"2026-01-{d:02d}" for d in range(1, 32)]
    assert names == sorted([f"gateway-{d}.jsonl" for d in days] + [f"jobs-{d}.csv" for d in days])


def test_same_arguments_same_bytes_across_processes(small: Path, tmp_path: Path) -> None:
    """Two fresh interpreters (different hash seeds) write exactly the in-process output."""
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        subprocess.run([sys.executable, str(SCRIPT), "--events", str(N), "--seed", str(SEED), "--out", str(out)],
                       check=True, capture_output=True, cwd=PROJECT_ROOT, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert contents(out) == contents(small)


def test_another_seed_gives_other_data(small: Path, tmp_path: Path) -> None:
    other = contents(generate(tmp_path / "other", seed=SEED + 1))
    mine = contents(small)
    assert all(other[name] != mine[name] for name in other)


def test_cli_prints_one_summary_line_that_matches_the_output(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--events", "1000", "--out", str(tmp_path / "o")],
                            check=True, capture_output=True, text=True, cwd=PROJECT_ROOT)
    (line,) = result.stdout.splitlines()
    match = re.fullmatch(r"generate_events: (\d+) files, ([\d,]+) events, ([\d,]+) lines \(([\d,]+) retry chains, "
                         r"([\d,]+) second deliveries\), ([\d,]+) bytes, [\d.]+ s \([\d,]+ events/s\) -> .*", line)
    assert match, line
    files, events, lines, chains, seconds, size = (int(group.replace(",", "")) for group in match.groups())
    parsed = read_dir(tmp_path / "o")
    ids = Counter((e.source, e.id) for e in parsed)
    assert files == len(list((tmp_path / "o").iterdir())) and size == sum(len(d) for d in contents(tmp_path / "o").values())
    assert (events, lines) == (1_000, len(parsed))
    assert chains == len({(e.source, e.first_id) for e in parsed if e.attempt > 1})
    assert seconds == sum(count - 1 for count in ids.values())


def test_only_day_equals_that_day_of_the_full_run(small: Path, tmp_path: Path) -> None:
    out = generate(tmp_path / "one", N, "--only-day", "2026-01-17")
    assert contents(out) == {name: data for name, data in contents(small).items() if "2026-01-17" in name}


def test_only_day_after_the_range_continues_the_stream(small: Path, parsed: list[Event], tmp_path: Path) -> None:
    out = generate(tmp_path / "next", N, "--only-day", "2026-02-01")
    assert sorted(contents(out)) == ["gateway-2026-02-01.jsonl", "jobs-2026-02-01.csv"]
    extra = read_dir(out)
    before = {(e.source, e.id): e.line for e in parsed}
    new = [e for e in extra if (e.source, e.id) not in before]
    late = [e for e in extra if (e.source, e.id) in before]
    assert {e.at.date() for e in new} == {date(2026, 2, 1)}
    plan = ge.Plan(N, 1, SEED, START)  # a Sunday's share at the range's rate
    assert len({(e.source, e.first_id) for e in new}) == plan.first_event(date(2026, 2, 2)) - N
    assert late, "second deliveries due after Jan 31 open the next day's file"
    assert all(before[(e.source, e.id)] == e.line for e in late)  # identical lines, delivered late


def test_month_split_is_the_days_concatenated(tmp_path: Path) -> None:
    days = contents(generate(tmp_path / "days", 5_000, months=2))
    months = contents(generate(tmp_path / "months", 5_000, "--split", "month", months=2))
    assert sorted(months) == ["gateway-2026-01.jsonl", "gateway-2026-02.jsonl", "jobs-2026-01.csv", "jobs-2026-02.csv"]
    header = (",".join(ge.JOBS_COLUMNS) + "\n").encode()
    for month in ("2026-01", "2026-02"):
        gateway = b"".join(data for name, data in days.items() if name.startswith(f"gateway-{month}-"))
        jobs = b"".join(data[len(header):] for name, data in days.items() if name.startswith(f"jobs-{month}-"))
        assert months[f"gateway-{month}.jsonl"] == gateway
        assert months[f"jobs-{month}.csv"] == header + jobs


def test_gzip_holds_the_same_lines_with_a_reproducible_header(small: Path, tmp_path: Path) -> None:
    zipped = contents(generate(tmp_path / "gz", N, "--gzip"))
    plain = contents(small)
    for name, data in zipped.items():
        if name.endswith(".gz"):
            assert data[:3] == b"\x1f\x8b\x08" and data[3] & 0x08 == 0 and data[4:8] == b"\0\0\0\0"
            assert gzip.decompress(data) == plain[name[:-3]]
        else:
            assert data == plain[name]


# --------------------------------------------------------------------------------------------------
# The mix, recomputed from the output
# --------------------------------------------------------------------------------------------------
def test_exactly_n_events_and_lines_add_up(parsed: list[Event], distinct: list[Event], firsts: list[Event]) -> None:
    events = {(e.source, e.first_id) for e in distinct}
    assert len(events) == len(firsts) == N
    assert Counter(source for source, _ in events) == {"gateway": N * 85 // 100, "jobs": N - N * 85 // 100}
    extra_attempts = sum(e.attempt > 1 for e in distinct)
    second_deliveries = len(parsed) - len(distinct)
    assert len(distinct) == N + extra_attempts
    assert 0.02 < extra_attempts / N < 0.035  # 2% of events retried, 2.25-2.3 attempts per chain
    assert 0.025 < second_deliveries / N < 0.035  # 3%, less those due after the last day
    start, end = (datetime(d.year, d.month, d.day, tzinfo=UTC) for d in (START, END))
    assert all(start <= e.at < end for e in parsed)


def test_second_deliveries_are_identical_lines_about_3_percent(parsed: list[Event]) -> None:
    by_id: dict[tuple[str, str], list[Event]] = {}
    for event in parsed:
        by_id.setdefault((event.source, event.id), []).append(event)
    repeated = [copies for copies in by_id.values() if len(copies) > 1]
    assert all(len(copies) == 2 and copies[0].line == copies[1].line for copies in repeated)
    assert 0.025 < len(repeated) / N < 0.035
    assert any(copies[0].file != copies[1].file for copies in repeated), "some arrive in a later file"
    assert any(copies[0].file == copies[1].file for copies in repeated)


def test_retry_chains_about_2_percent(distinct: list[Event]) -> None:
    chains: dict[tuple[str, str], list[Event]] = {}
    for event in distinct:
        chains.setdefault((event.source, event.first_id), []).append(event)
    retried = [sorted(c, key=lambda e: e.attempt) for c in chains.values() if len(c) > 1]
    assert 0.015 < len(retried) / N < 0.025
    for chain in retried:
        assert [e.attempt for e in chain] in ([1, 2], [1, 2, 3])
        assert chain[0].id == chain[0].first_id and all(e.first_id == chain[0].id for e in chain)
        assert chain[0].at <= chain[-1].at
    assert any(len(chain) == 3 for chain in retried)


def test_about_5_percent_of_events_have_no_owner(firsts: list[Event]) -> None:
    agents, keys = seed_column("agent_directory.csv", "agent"), seed_column("api_keys.csv", "api_key_id")

    def unowned(e: Event) -> bool:
        return e.agent.lower() not in agents and e.key.lower() not in keys and not e.user and not e.team_tag

    share = sum(map(unowned, firsts)) / len(firsts)
    assert 0.04 < share < 0.06
    # Everything else carries a seeded agent, a known key or a user (attribution can resolve it).
    owned = [e for e in firsts if not unowned(e)]
    assert all(e.agent.lower() in agents or e.key.lower() in keys or e.user for e in owned)


def test_shared_agent_and_owner_change_agent_are_in_the_seeds_and_the_data(firsts: list[Event]) -> None:
    rules = seed_column("shared_agent_rules.csv", "agent")
    with open(SEEDS / "agent_directory.csv", newline="", encoding="utf-8") as handle:
        owners = Counter(row["agent"] for row in csv.DictReader(handle))
    assert ge.SHARED_AGENT in rules and owners[ge.OWNER_CHANGE_AGENT] > 1
    untagged = Counter(e.agent for e in firsts if not e.team_tag)
    assert untagged[ge.SHARED_AGENT] > 50 and untagged[ge.OWNER_CHANGE_AGENT] > 50


def event_models(distinct: list[Event]) -> dict[tuple[str, str], tuple[str, str]]:
    """(model, provider) per event: a failed gateway attempt has no response, hence no model of its own."""
    return {(e.source, e.first_id): (e.model, e.provider) for e in distinct if e.model}


def test_owner_change_is_straddled_by_untagged_traffic(tmp_path: Path) -> None:
    """infra-oncall moves from platform to search on 2026-10-15: untagged events on both sides."""
    events = read_dir(generate(tmp_path / "oct", 5_000, "--start", "2026-10-01"))
    days = {e.at.date() for e in events if e.agent == ge.OWNER_CHANGE_AGENT and not e.team_tag}
    assert min(days) < date(2026, 10, 15) <= max(days)
    assert {e.at.date() for e in events} <= {date(2026, 10, d) for d in range(1, 32)}


def test_agents_and_models_are_zipf_skewed(firsts: list[Event], distinct: list[Event]) -> None:
    agents = Counter(e.agent for e in firsts).most_common()
    models = Counter(model for model, _ in event_models(distinct).values()).most_common()
    assert agents[0][1] > 5 * agents[-1][1] and len(agents) >= 12
    assert models[0][1] > 10 * models[-1][1] and len(models) >= 15


def test_models_are_priceable_except_a_few_unknown(distinct: list[Event]) -> None:
    models = event_models(distinct)
    assert len(models) == N
    unknown = {model for model, _ in ge.UNKNOWN_MODELS}
    share = sum(model in unknown for model, _ in models.values()) / N
    assert 0.0005 < share < 0.01
    ts = datetime(2026, 1, 15, tzinfo=UTC)
    for model, provider in sorted(set(models.values())):
        usage = genai_prices.Usage(input_tokens=1_000, output_tokens=100)
        if model in unknown:
            with pytest.raises(LookupError):
                genai_prices.calc_price(usage, model, provider_id=provider or None, genai_request_timestamp=ts)
        else:
            genai_prices.calc_price(usage, model, provider_id=provider or None, genai_request_timestamp=ts)


def test_usage_shapes_are_consistent(distinct: list[Event]) -> None:
    shapes = Counter()
    for e in distinct:
        t = e.tokens
        assert all(value >= 0 for value in t.values()), e.line
        if e.source == "jobs":
            assert not t or t["cached_input_tokens"] <= t["input_tokens"]
            shapes["jobs"] += 1
        elif "cache_read_input_tokens" in t:  # Anthropic Messages: input excludes the cache
            if "cache_creation.ephemeral_5m_input_tokens" in t:
                assert t["cache_creation.ephemeral_5m_input_tokens"] + t["cache_creation.ephemeral_1h_input_tokens"] \
                    == t["cache_creation_input_tokens"]
                shapes["anthropic_1h" if t["cache_creation.ephemeral_1h_input_tokens"] else "anthropic_breakdown"] += 1
            shapes["anthropic"] += 1
        elif "prompt_tokens" in t:  # Chat Completions
            assert t["prompt_tokens_details.cached_tokens"] <= t["prompt_tokens"]
            assert t.get("completion_tokens_details.reasoning_tokens", 0) <= t["completion_tokens"]
            assert t["total_tokens"] == t["prompt_tokens"] + t["completion_tokens"]
            shapes["chat"] += 1
        elif "input_tokens" in t:  # Responses
            assert t["input_tokens_details.cached_tokens"] <= t["input_tokens"]
            assert t["output_tokens_details.reasoning_tokens"] <= t["output_tokens"]
            assert t["total_tokens"] == t["input_tokens"] + t["output_tokens"]
            shapes["responses"] += 1
        else:
            assert e.attempt < 3 and '"error": ' in e.line  # a failed attempt reports no usage
            shapes["failed"] += 1
    assert min(shapes.values()) > 0 and len(shapes) == 7, shapes


# --------------------------------------------------------------------------------------------------
# Ingest and memory
# --------------------------------------------------------------------------------------------------
def test_the_ingest_lands_every_line_without_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = generate(tmp_path / "gen", 3_000, "--gzip")
    db = tmp_path / "wh" / "test.duckdb"
    monkeypatch.setenv("TOKENLEDGER_DB", str(db))
    monkeypatch.setenv("TOKENLEDGER_LOCK_WAIT", "120")
    assert ingest.main(["--db", str(db), str(out)]) == 0
    capsys.readouterr()
    lines = Counter(e.file for e in read_dir(out))
    with duckdb.connect(str(db), read_only=True) as con:
        manifest = con.execute("select file_name, format, status, rows from raw.load_manifest").fetchall()
        rejected = con.execute("select count(*) from raw.jobs_export where raw_record is not null").fetchone()
        not_objects = con.execute("select count(*) from raw.gateway_requests "
                                  "where not (json_valid(raw_line) and json_type(raw_line) = 'OBJECT')").fetchone()
    assert len(manifest) == len(lines) == 62
    for name, fmt, status, rows in manifest:
        assert (status, fmt) == ("loaded", "gateway_jsonl" if name.startswith("gateway-") else "jobs_csv"), name
        assert rows == lines[name], name
    assert rejected == (0,) and not_objects == (0,)


def peak_rss_kib(out: Path, events: int) -> int:
    """Peak resident memory of a fresh interpreter generating `events` (tracemalloc would be ~50x slower)."""
    code = ("import resource, sys; sys.path.insert(0, 'tools'); import generate_events; "
            f"generate_events.main(['--events', '{events}', '--out', {str(out)!r}]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=PROJECT_ROOT)
    return int(result.stdout.splitlines()[-1])


def test_memory_is_flat_in_n(tmp_path: Path) -> None:
    """10x the events (120 MB more output) needs at most the chunk buffers and the lazily compiled retry
    templates more: both bounded, whatever N."""
    small, large = peak_rss_kib(tmp_path / "20k", 20_000), peak_rss_kib(tmp_path / "200k", 200_000)
    written = sum(path.stat().st_size for path in (tmp_path / "200k").iterdir())
    assert written > 100_000_000
    assert large < small + 16 * 1024, (small, large)
