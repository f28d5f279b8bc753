#!/usr/bin/env python3
"""Generate realistic AI usage exports at scale (gateway JSONL + Jobs CSV) for benchmarks.

Usage:
  python tools/generate_events.py --events N [--months 1] [--seed 1] [--start 2026-01-01] --out DIR
                                    [--split day|month] [--gzip] [--only-day YYYY-MM-DD]

Writes exactly N logical usage events (a retry chain is one event) over --months calendar months
from --start: 85% as gateway request-log lines, 15% as Jobs export rows, one file per UTC day (or
month): DIR/gateway-YYYY-MM-DD.jsonl[.gz] and DIR/jobs-YYYY-MM-DD.csv. Among the events: 2% are
retry chains (2-3 attempts linked by `retry_of`), 3% have their line delivered a second time
(identical bytes, up to 2,048 events later, so possibly at the top of the next day's file), ~5% have
no owner at all (agent not in org/agent_directory.csv, key not in org/api_keys.csv, no user, no
team tag) and ~0.3% use a model no price catalog knows. Agents, teams and models are Zipf-skewed;
agents, keys and users are those of tools/generate_sample.py, i.e. the ones in the committed seeds,
so attribution resolves (infra-oncall's owner change, report-summarizer's shared rule included).

The output is a prefix of one endless stream per (events, months, seed, start): each day is drawn
from its own random.Random("<seed>:<source>:<day>"), and `--only-day D` writes just day D's files,
byte-identical to what a run covering D writes; a day after the range continues the stream at the
same rate (the "append one day" benchmark). Same arguments, same bytes (gzip: same zlib build).

Speed: every record shape is rendered once per *profile* (agent, key, model, tags, endpoint, ...;
1,024 per source, drawn with generate_sample.py's own helpers) into a compiled f-string; an event
then costs two getrandbits() calls, integer arithmetic and one call of its profile's renderer.
Memory is flat in N: lines go out in chunks of CHUNK_LINES to a writer thread (encode, gzip, write)
behind a bounded queue, and only the pending second deliveries (~3% of 2,048 lines) are held.
Details: docs/generate_events.md. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import heapq
import io
import json
import queue
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from generate_sample import (
    AGENTS,
    JOBS_COLUMNS,
    MESSAGES,
    MODEL_PROVIDERS,
    ORPHAN_KEY,
    SERVICE_TIER_START,
    Agent,
    Call,
    Tokens,
    gateway_call,
    gateway_record,
    job_row,
)

DEFAULT_SEED = 1
DEFAULT_START = date(2026, 1, 1)

# --------------------------------------------------------------------------------------------------
# The mix. Rates are exact probabilities of the generator (in 1/65536, or profiles out of PROFILES).
# --------------------------------------------------------------------------------------------------
GATEWAY_PERCENT = 85  # of the N events; the rest are Jobs rows
RETRY_PER_65536 = 1311  # 2.0% of events are retry chains
DUPLICATE_PER_65536 = 1966  # 3.0% of events are delivered twice
DUPLICATE_MAX_DELAY = 2048  # events between a line and its second delivery (bounds the memory held)
PROFILE_BITS = 10  # more profiles: more variety, but slower (their templates stop fitting in CPU caches)
PROFILES = 1 << PROFILE_BITS  # per source
PROFILE_MASK = PROFILES - 1
UNOWNED_PROFILES = 51  # 4.98% of profiles, hence of events
UNKNOWN_MODEL_PROFILES = 3  # 0.29%: one per unknown model
GZIP_LEVEL = 1  # ~7x smaller than plain; level 6 is only ~1.5x smaller again and ~3x slower
CHUNK_LINES = 2048  # lines per write (small enough to stay in the CPU caches)

# Owned agents of generate_sample.AGENTS in Zipf rank order (weight 1/rank); all are in the seeds.
ZIPF_AGENTS: tuple[str | None, ...] = (
    "search-bot", "support-triage", "code-review", "ranker", "notebook-assistant", "report-summarizer",
    "invoice-reader", "support-writer", "infra-oncall", None,  # None: ad-hoc use of personal keys
)
SHARED_AGENT = "report-summarizer"  # org/shared_agent_rules.csv; about half its traffic is untagged
OWNER_CHANGE_AGENT = "infra-oncall"  # platform, then search from 2026-10-15 (org/agent_directory.csv)
# Untag half of infra-oncall's traffic so that the agent-owner path (and its change) carries it.
UNTAGGED_OVERRIDES: dict[str, float] = {OWNER_CHANGE_AGENT: 0.5}
# Priceable models (genai-prices 0.2.3 = the committed seeds/prices) in Zipf rank order.
ZIPF_MODELS: tuple[tuple[str, str], ...] = (
    ("gpt-5.4-mini", "openai"), ("claude-sonnet-4-5", "anthropic"), ("gpt-5.4", "openai"),
    ("claude-haiku-4-5", "anthropic"), ("gpt-4.1-mini", "openai"), ("gpt-4o-mini", "openai"),
    ("gpt-5-mini", "openai"), ("claude-sonnet-4-20250514", "anthropic"), ("gpt-5.4-2026-03-05", "openai"),
    ("o4-mini", "openai"), ("claude-opus-4-1", "anthropic"), ("gpt-4.1", "openai"), ("gpt-5-nano", "openai"),
    ("claude-3-5-haiku-latest", "anthropic"), ("gpt-4o", "openai"), ("o3", "openai"),
    ("claude-opus-4-5", "anthropic"), ("gpt-4.1-nano", "openai"), ("claude-sonnet-4-6", "anthropic"),
    ("gpt-5", "openai"),
)
AGENT_MODEL_SHARE = 0.5  # an owned profile uses its agent's own model mix (generate_sample), else ZIPF_MODELS
# Models in no price catalog: their events stay unpriced (`unknown_model`).
UNKNOWN_MODELS: tuple[tuple[str, str], ...] = (
    ("acme-llm-7b", "openai"), ("acme-llm-70b-preview", "openai"), ("northwind-haiku-x", "anthropic"),
)
# Agents with no owner anywhere: not in org/agent_directory.csv, keys not in org/api_keys.csv.
UNOWNED_AGENTS: tuple[Agent, ...] = tuple(
    Agent(name, None, keys=((key, None),), models=(("gpt-5.4-mini", 1),), jobs_models=(("gpt-5.4-mini", 1),),
          gateway_weight=1, jobs_weight=1, input_range=(500, 6_000), output_range=(50, 800),
          untagged_share=1.0, cache_share=0.3, customer_share=0.0, workflows=("", "adhoc"))
    for name, key in (("mystery-agent", ORPHAN_KEY), ("scratch-notebook", "svc.scratch"),
                      ("eval-harness-tmp", "svc.eval-tmp"))
)

# Traffic over time: weekdays busier than weekends, working hours (UTC) busier than nights.
WEEKDAY_WEIGHT, WEEKEND_WEIGHT = 10, 4
HOUR_WEIGHTS: tuple[int, ...] = (2, 2, 2, 2, 2, 3, 4, 6, 9, 10, 10, 10, 9, 10, 10, 10, 9, 8, 6, 5, 4, 3, 3, 2)
QUANTILE_BITS = 16  # an event's time is the day's quantile (k + jitter) / count, in 1/65536ths of the day's traffic
HEAVY_PROFILES = 0.05  # profiles whose prompts are 3x their agent's range

# Ids: a bijection of 4 * (the event's index in its source) + (attempt - 1): unique, random-looking,
# no random draw. scramble() is inlined in the hot loops.
MASK64 = (1 << 64) - 1
ID_MULTIPLIER = 0x9E3779B97F4A7C15
ID_STEP = (4 * ID_MULTIPLIER) & MASK64

NUMBER_LIMIT = 1 << 18  # token counts and latencies are rendered from a table of str(0..NUMBER_LIMIT-1)


@functools.cache
def numbers() -> tuple[str, ...]:
    return tuple(map(str, range(NUMBER_LIMIT)))


@functools.cache
def quantile_seconds() -> tuple[int, ...]:
    """The second of the day by which q/65536 of a day's traffic has happened, for every q (HOUR_WEIGHTS)."""
    cum = [sum(w * 3600 for w in HOUR_WEIGHTS[:h]) for h in range(25)]
    seconds: list[int] = []
    hour = 0
    for q in range(1 << QUANTILE_BITS):
        units = q * cum[24] >> QUANTILE_BITS
        while units >= cum[hour + 1]:
            hour += 1
        seconds.append(hour * 3600 + (units - cum[hour]) // HOUR_WEIGHTS[hour])
    return tuple(seconds)


@functools.cache
def clock() -> tuple[str, ...]:
    """HH:MM:SS of every second of a day."""
    return tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400))


# --------------------------------------------------------------------------------------------------
# Templates: a record rendered once with @@slot@@ sentinels, compiled into a function of the slots.
# --------------------------------------------------------------------------------------------------
OPENAI_PARAMS = "rid, day, hms, lat, resp, created, P, CR, O, R, TOT"  # attempt 1 (most lines)
ANTHROPIC_PARAMS = "rid, day, hms, lat, resp, U, CW, CR, O, CW5, CW1H"  # attempt 1 (most lines)
ATTEMPT_PARAMS = "rid, day, hms, lat, att, rof, resp, created, P, CR, O, R, TOT, U, CW, CW5, CW1H"  # retries
JOBS_PARAMS = "jid, day, hms, tz, P, CR, O, st, att, rof"
RAW_SLOTS = frozenset({"lat", "att", "rof", "created", "P", "CR", "O", "R", "TOT", "U", "CW", "CW5", "CW1H"})
SLOT_FORMAT = {"rid": "rid:016x", "resp": "resp:016x"}
SLOT = re.compile(r'"@@([A-Za-z0-9]+)@@"|@@([A-Za-z0-9]+)@@')
# Sentinel token counts (distinct, and so are their sums) -> slot names.
SENTINEL_TOKENS = Tokens(prompt=900_000_000_000_000, cache_read=70_000_000_000_001, cache_write_5m=6_000_000_000_003,
                         cache_write_1h=500_000_000_007, output=40_000_000_000_013, reasoning=3_000_000_000_019)
_FACTORIES: dict[tuple[str, tuple[str, ...]], Callable[..., Callable[..., str]]] = {}


def compile_template(text: str, params: str) -> Callable[..., str]:
    """A function of `params` returning `text` with every @@slot@@ filled in.

    A quoted sentinel of a raw slot ("@@lat@@") loses its quotes (the value is a number or raw JSON);
    other slots are text inside their string. The literal pieces are closure variables of an f-string
    (no escaping needed); factories are cached by their sequence of slot expressions.
    """
    pieces: list[str] = []
    exprs: list[str] = []
    position, carry = 0, ""
    for match in SLOT.finditer(text):
        name = match.group(1) or match.group(2)
        if name not in params.split(", "):
            raise ValueError(f"template slot {name!r} is not one of ({params})")
        quoted = match.group(1) is not None and name not in RAW_SLOTS
        pieces.append(carry + text[position:match.start()] + ('"' if quoted else ""))
        carry = '"' if quoted else ""
        exprs.append(SLOT_FORMAT.get(name, name))
        position = match.end()
    pieces.append(carry + text[position:])
    key = (params, tuple(exprs))
    factory = _FACTORIES.get(key)
    if factory is None:
        names = [f"p{i}" for i in range(len(pieces))]
        body = "".join(f"{{{names[i]}}}{{{expr}}}" for i, expr in enumerate(exprs)) + f"{{{names[-1]}}}"
        source = (f"def factory({', '.join(names)}):\n    def render({params}):\n"
                  f"        return f'{body}'\n    return render\n")
        namespace: dict[str, Any] = {}
        exec(compile(source, "<generate_events template>", "exec"), namespace)
        factory = _FACTORIES[key] = namespace["factory"]
    return factory(*pieces)


def sentinel_slots(tokens: Tokens) -> dict[int, str]:
    t = tokens
    slots = {t.prompt: "P", t.cache_read: "CR", t.cache_write_5m: "CW5", t.cache_write_1h: "CW1H", t.output: "O",
             t.reasoning: "R", t.uncached: "U", t.cache_write: "CW", t.prompt + t.output: "TOT"}
    slots.pop(0, None)
    return slots


def slot_usage(value: Any, slots: dict[int, str]) -> Any:
    """The usage object with each sentinel count (or sum of counts) replaced by its @@slot@@."""
    if isinstance(value, dict):
        return {key: slot_usage(item, slots) for key, item in value.items()}
    if isinstance(value, int) and not isinstance(value, bool) and value in slots:
        return f"@@{slots[value]}@@"
    if isinstance(value, int) and value != 0:
        raise ValueError(f"unmapped token count {value}")
    return value


def slot_gateway(record: dict[str, Any]) -> str:
    """The record as a JSON line with the per-event slots in place (key order unchanged)."""
    record.update(request_id="req_@@rid@@", timestamp="@@day@@@@hms@@Z", latency_ms="@@lat@@",
                  attempt="@@att@@", retry_of="@@rof@@")
    response = record.get("response")
    if response is not None:
        if "id" in response:
            response["id"] = re.sub(r"^(msg_01|resp_|chatcmpl-).*", r"\1@@resp@@", response["id"])
        for key in ("created", "created_at"):
            if key in response:
                response[key] = "@@created@@"
    return json.dumps(record) + "\n"


# --------------------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------------------
@dataclass
class GatewayProfile:
    """Everything constant about a family of gateway events; `fields` is what the hot loop unpacks."""

    call: Call
    text: str  # the record with all ATTEMPT_PARAMS slots
    # (anthropic, lo, span, olo, ospan, cache_thr, write_thr, reasoning_thr, one_hour, first-attempt renderer)
    fields: tuple[Any, ...]
    renders: dict[int, Callable[..., str]] = field(default_factory=dict)  # 200 / 429 / 500 -> ATTEMPT_PARAMS renderer

    def attempt_render(self, code: int) -> Callable[..., str]:
        """The renderer of a retry that succeeded (200) or of a failed attempt (429, 500: no usage)."""
        render = self.renders.get(code)
        if render is None:
            text = self.text
            if code != 200:
                call = replace(self.call, tokens=None, status="failed", error_code=code, response_id=None, extras={})
                text = slot_gateway(gateway_record(call, random.Random(code)))
            render = self.renders[code] = compile_template(text, ATTEMPT_PARAMS)
        return render


@dataclass
class JobsProfile:
    fields: tuple[Any, ...]  # (lo, span, olo, ospan, cache_thr, created_at shift (s), zone suffix, renderer)


@dataclass
class Profiles:
    gateway: list[GatewayProfile]
    jobs: list[JobsProfile]


def zipf_weights(count: int) -> list[int]:
    return [1_000_000 // rank for rank in range(1, count + 1)]


def profile_classes(rng: random.Random) -> list[str]:
    """owned / unowned / unknown_model for each profile index (exact counts, shuffled)."""
    classes = (["unowned"] * UNOWNED_PROFILES + ["unknown_model"] * UNKNOWN_MODEL_PROFILES
               + ["owned"] * (PROFILES - UNOWNED_PROFILES - UNKNOWN_MODEL_PROFILES))
    rng.shuffle(classes)
    return classes


def draw_agent_and_model(rng: random.Random, kind: str, *, jobs: bool) -> tuple[Agent, str, str]:
    if kind == "unowned":
        agent = rng.choice(UNOWNED_AGENTS)
    else:
        names = [name for name in ZIPF_AGENTS if not (jobs and name is None)]  # no ad-hoc jobs
        name = rng.choices(names, weights=zipf_weights(len(names)))[0]
        agent = next(agent for agent in AGENTS if agent.name == name)
        if name in UNTAGGED_OVERRIDES:
            agent = replace(agent, untagged_share=UNTAGGED_OVERRIDES[name])
    if kind == "unknown_model":
        model, provider = UNKNOWN_MODELS[rng.randrange(len(UNKNOWN_MODELS))]
    elif kind == "owned" and rng.random() < AGENT_MODEL_SHARE:
        mix = agent.jobs_models if jobs else agent.models
        model = rng.choices([m for m, _ in mix], weights=[w for _, w in mix])[0]
        provider = MODEL_PROVIDERS[model]
    else:
        model, provider = rng.choices(ZIPF_MODELS, weights=zipf_weights(len(ZIPF_MODELS)))[0]
    return agent, model, provider


def token_fields(rng: random.Random, agent: Agent, anthropic: bool) -> tuple[int, int, int, int, int, int, int]:
    """(lo, span, olo, ospan, cache_thr, write_thr, reasoning_thr) for the hot loop (thresholds out of 256)."""
    lo, hi = agent.input_range
    if rng.random() < HEAVY_PROFILES:
        lo, hi = lo * 3, hi * 3
    olo, ohi = agent.output_range
    if hi + ohi >= NUMBER_LIMIT or 1_200 + 11 * ohi >= NUMBER_LIMIT:
        raise ValueError(f"{agent.name}: token ranges too large for the number table")
    write = int(256 * 0.35) if anthropic else 0
    reasoning = 0 if anthropic else int(256 * agent.reasoning_share)
    return lo, hi - lo, olo, ohi - olo, int(256 * agent.cache_share), write, reasoning


def gateway_profile(rng: random.Random, kind: str) -> GatewayProfile:
    agent, model, provider = draw_agent_and_model(rng, kind, jobs=False)
    call = gateway_call(rng, agent, SERVICE_TIER_START, model=model, provider=provider, request_id="req_x")
    if agent.batch_share and rng.random() < agent.batch_share / 2:
        call.batch = True
        if provider == "openai":
            call.service_tier = "default"
    call.extras.pop("trace_id", None)  # per request in reality; as a profile constant it would look odd
    anthropic = call.endpoint == MESSAGES
    fields = token_fields(rng, agent, anthropic)
    one_hour = anthropic and call.anthropic_breakdown and rng.random() < 0.4
    call.tokens = replace(SENTINEL_TOKENS, reasoning=SENTINEL_TOKENS.reasoning if fields[6] else 0)
    if not anthropic:
        call.tokens = replace(call.tokens, cache_write_5m=0, cache_write_1h=0)
    elif not call.anthropic_breakdown:
        call.tokens = replace(call.tokens, cache_write_1h=0)
    record = gateway_record(call, rng)
    if "response" in record:
        record["response"]["usage"] = slot_usage(record["response"]["usage"], sentinel_slots(call.tokens))
    text = slot_gateway(record)
    first = compile_template(text.replace('"@@att@@"', "1").replace('"@@rof@@"', "null"),
                             ANTHROPIC_PARAMS if anthropic else OPENAI_PARAMS)
    return GatewayProfile(call, text, (anthropic, *fields, one_hour, first))


def jobs_profile(rng: random.Random, kind: str) -> JobsProfile:
    agent, model, provider = draw_agent_and_model(rng, kind, jobs=True)
    values = job_row(rng, agent, SERVICE_TIER_START, model=model, provider=provider, tokens=Tokens(prompt=1)).values
    if kind == "owned" and rng.random() < 0.02:
        values["provider"] = ""  # blank provider: inferred from the model
    values.update(job_id="@@jid@@", created_at="@@day@@@@hms@@@@tz@@", input_tokens="@@P@@", cached_input_tokens="@@CR@@",
                  output_tokens="@@O@@", status="@@st@@", attempt="@@att@@", retry_of="@@rof@@")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values[column] for column in JOBS_COLUMNS])
    lo, span, olo, ospan, cache_thr, _, _ = token_fields(rng, agent, anthropic=False)
    shift, zone = rng.choices(((0, "Z"), (0, ""), (7200, "+02:00")), weights=(6, 3, 1))[0]  # naive = UTC
    return JobsProfile((lo, span, olo, ospan, cache_thr, shift, zone, compile_template(buffer.getvalue(), JOBS_PARAMS)))


@functools.cache
def build_profiles(seed: int) -> Profiles:
    rng = random.Random(f"{seed}:profiles")
    gateway = [gateway_profile(rng, kind) for kind in profile_classes(rng)]
    jobs = [jobs_profile(rng, kind) for kind in profile_classes(rng)]
    return Profiles(gateway, jobs)


# --------------------------------------------------------------------------------------------------
# The stream: how many events each day gets, and their indices
# --------------------------------------------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


def day_weight(day: date) -> int:
    return WEEKEND_WEIGHT if day.weekday() >= 5 else WEEKDAY_WEIGHT


@dataclass(frozen=True)
class Plan:
    """N events over [start, end), weighted by day; the same rate continues after end."""

    events: int
    months: int
    seed: int
    start: date

    @property
    def end(self) -> date:
        return add_months(self.start, self.months)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    @functools.cached_property
    def range_weight(self) -> int:
        return sum(map(day_weight, self.days))

    def first_event(self, day: date) -> int:
        """Index of `day`'s first event in the stream (= the number of events before it)."""
        weeks, rest = divmod((day - self.start).days, 7)
        before = weeks * (5 * WEEKDAY_WEIGHT + 2 * WEEKEND_WEIGHT)
        before += sum(day_weight(self.start + timedelta(days=7 * weeks + i)) for i in range(rest))
        return self.events * before // self.range_weight

    def sources(self, day: date) -> tuple[tuple[int, int], tuple[int, int]]:
        """(first index, count) of `day`'s gateway events and of its Jobs events, each in its own source."""
        first, after = self.first_event(day), self.first_event(day + timedelta(days=1))
        gateway_first, gateway_after = first * GATEWAY_PERCENT // 100, after * GATEWAY_PERCENT // 100
        return ((gateway_first, gateway_after - gateway_first),
                (first - gateway_first, after - gateway_after - (first - gateway_first)))


def scramble(index: int, attempt: int, key: int) -> int:
    """The id of an event's attempt: a bijection of 64-bit integers (odd multiplier, xorshift, xor)."""
    mixed = ((4 * index + attempt - 1) * ID_MULTIPLIER) & MASK64
    return mixed ^ (mixed >> 32) ^ key


@dataclass
class DayOutput:
    """What one day of one source wrote, and the second deliveries still due (for the next day's file)."""

    events: int = 0
    lines: int = 0
    duplicates: int = 0  # second deliveries written (including those spilled in from the day before)
    retries: int = 0  # retry chains
    spill: list[str] = field(default_factory=list)


Sink = Callable[[str], None]


def day_clock(day: date) -> tuple[str, int]:
    return day.isoformat() + "T", int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


# --------------------------------------------------------------------------------------------------
# Hot loops (kept flat on purpose: this is where the time goes)
# --------------------------------------------------------------------------------------------------
def gateway_day(profiles: Profiles, seed: int, day: date, first: int, count: int, spill_in: Sequence[str],
                sink: Sink) -> DayOutput:
    """Write one day of gateway lines, after the second deliveries spilled from the day before."""
    rng = random.Random(f"{seed}:gateway:{day.isoformat()}")
    getrandbits = rng.getrandbits
    id_key = random.Random(f"{seed}:ids").getrandbits(64)
    table = [profile.fields for profile in profiles.gateway]
    num, hms = numbers(), clock()
    prefix, epoch = day_clock(day)
    out = DayOutput(duplicates=len(spill_in))
    buffer: list[str] = list(spill_in)
    pending: list[tuple[int, int, str]] = []  # (due event, event, line): heap of second deliveries
    retry_below, duplicate_below = RETRY_PER_65536, RETRY_PER_65536 + DUPLICATE_PER_65536
    append, mask, chunk, step, quantiles = buffer.append, PROFILE_MASK, CHUNK_LINES, ID_STEP, quantile_seconds()
    for k in range(count):
        # x: profile [0:10], time jitter [12:28], kind [28:44], duplicate delay [44:55], latency [55:64]
        x = getrandbits(64)
        # y: prompt [0:16], output [16:32], cache draw [32:40], cache size [40:56], write/reasoning [56:64]
        y = getrandbits(64)
        anthropic, lo, span, olo, ospan, cache_thr, write_thr, reasoning_thr, one_hour, render = table[x & mask]
        second = quantiles[((k << 16) + ((x >> 12) & 0xFFFF)) // count]  # stratified: in time order
        a = y & 0xFFFF
        prompt = lo + ((span * a * a) >> 32)  # skewed toward lo
        b = (y >> 16) & 0xFFFF
        output = olo + ((ospan * b * b) >> 32)
        d = (y >> 40) & 0xFFFF
        e = y >> 56
        cache_read = write_5m = write_1h = reasoning = 0
        if anthropic:
            if (y >> 32) & 0xFF < cache_thr and prompt >= 1024:
                cache_read = prompt // 5 + (((prompt * 3 // 5) * d) >> 16)
                if e < write_thr:
                    write_5m = 1 + ((((prompt - cache_read) * 3 // 4) * (a & 0xFFF)) >> 12)
            elif e < write_thr // 2 and prompt >= 2048:  # the first call of a session writes the cache
                write_5m = prompt // 3 + ((prompt * 5 // 12 * d) >> 16)
            if one_hour and write_5m and e & 1:
                write_1h = 1 + ((write_5m - 1) * (b & 0xFF) >> 8)
                write_5m -= write_1h
        else:
            if (y >> 32) & 0xFF < cache_thr and prompt >= 1024:  # OpenAI caches 128-token steps
                cache_read = 128 * (1 + ((((prompt * 4 // 5) // 128) * d) >> 16))
            if e < reasoning_thr:
                reasoning = output // 5 + ((output * 3 // 5 * (d & 0xFF)) >> 8)
        latency = 150 + ((x >> 55) << 1) + output * (4 + (a & 7))
        kind = (x >> 28) & 0xFFFF
        if kind < retry_below:
            line = gateway_chain(profiles.gateway[x & mask], rng, first + k, id_key, prefix, epoch, second,
                                 latency, buffer, (prompt, cache_read, write_5m, write_1h, output, reasoning))
            out.retries += 1
        else:
            rid = ((first + k) * step) & MASK64
            rid ^= (rid >> 32) ^ id_key
            if anthropic:
                line = render(rid, prefix, hms[second], num[latency], y,
                              num[prompt - cache_read - write_5m - write_1h], num[write_5m + write_1h],
                              num[cache_read], num[output], num[write_5m], num[write_1h])
            else:
                line = render(rid, prefix, hms[second], num[latency], y, epoch + second, num[prompt],
                              num[cache_read], num[output], num[reasoning], num[prompt + output])
            append(line)
            if kind < duplicate_below:
                heapq.heappush(pending, (k + 1 + ((x >> 44) & (DUPLICATE_MAX_DELAY - 1)), k, line))
        while pending and pending[0][0] <= k:
            append(heapq.heappop(pending)[2])
            out.duplicates += 1
        if len(buffer) >= chunk:
            out.lines += len(buffer)
            sink("".join(buffer))
            buffer.clear()
    out.lines += len(buffer)
    if buffer:
        sink("".join(buffer))
    out.events = count
    out.spill = [line for _, _, line in sorted(pending)]
    return out


def gateway_chain(profile: GatewayProfile, rng: random.Random, index: int, id_key: int, prefix: str, epoch: int,
                  second: int, latency: int, buffer: list[str], tokens: tuple[int, int, int, int, int, int]) -> str:
    """Append a retry chain: 1-2 failed attempts (429/500, no usage), then the success; returns the success."""
    num, hms = numbers(), clock()
    draw = rng.getrandbits(64)  # also the final response's id
    attempts = 3 if draw & 3 == 0 else 2
    gaps = [2 + (draw >> 2) % 44, 2 + (draw >> 8) % 44][: attempts - 1]  # seconds
    if second + sum(gaps) >= 86_400:  # keep the chain inside its day
        second -= sum(gaps)
    first_id = scramble(index, 1, id_key)
    retry_of = f'"req_{first_id:016x}"'
    for number in range(1, attempts):
        code = 429 if (draw >> (16 + number)) % 10 < 7 else 500
        attempt_id = scramble(index, number, id_key)
        buffer.append(profile.attempt_render(code)(
            attempt_id, prefix, hms[second], num[40 + (draw >> 20) % 400], number, "null" if number == 1 else retry_of,
            0, 0, "", "", "", "", "", "", "", "", ""))
        second += gaps[number - 1]
    prompt, cache_read, write_5m, write_1h, output, reasoning = tokens
    line = profile.attempt_render(200)(
        scramble(index, attempts, id_key), prefix, hms[second], num[latency], attempts, retry_of,
        draw, epoch + second, prompt, cache_read, output, reasoning, prompt + output,
        prompt - cache_read - write_5m - write_1h, write_5m + write_1h, write_5m, write_1h)
    buffer.append(line)
    return line


def jobs_day(profiles: Profiles, seed: int, day: date, first: int, count: int, spill_in: Sequence[str],
             sink: Sink) -> DayOutput:
    """Write one day of Jobs rows (no header), after the second deliveries spilled from the day before."""
    rng = random.Random(f"{seed}:jobs:{day.isoformat()}")
    getrandbits = rng.getrandbits
    id_key = random.Random(f"{seed}:job-ids").getrandbits(64)
    table = [profile.fields for profile in profiles.jobs]
    num, hms = numbers(), clock()
    prefix, _ = day_clock(day)
    next_prefix = (day + timedelta(days=1)).isoformat() + "T"
    out = DayOutput(duplicates=len(spill_in))
    buffer: list[str] = list(spill_in)
    pending: list[tuple[int, int, str]] = []
    retry_below, duplicate_below = RETRY_PER_65536, RETRY_PER_65536 + DUPLICATE_PER_65536
    append, mask, chunk, step, quantiles = buffer.append, PROFILE_MASK, CHUNK_LINES, ID_STEP, quantile_seconds()

    for k in range(count):
        x = getrandbits(64)  # same bit layout as the gateway loop
        y = getrandbits(64)
        lo, span, olo, ospan, cache_thr, shift, zone, render = table[x & mask]
        second = quantiles[((k << 16) + ((x >> 12) & 0xFFFF)) // count]
        a = y & 0xFFFF
        prompt = lo + ((span * a * a) >> 32)
        b = (y >> 16) & 0xFFFF
        output = olo + ((ospan * b * b) >> 32)
        cached = 0
        if (y >> 32) & 0xFF < cache_thr and prompt >= 1024:
            cached = 128 * (1 + ((((prompt * 4 // 5) // 128) * ((y >> 40) & 0xFFFF)) >> 16))
        mixed = ((first + k) * step) & MASK64
        job_id = f"job_{mixed ^ (mixed >> 32) ^ id_key:016x}"
        kind = (x >> 28) & 0xFFFF
        if kind < retry_below:  # failed attempts first; retry_of names the first job, later ids are <id>_a<n>
            draw = getrandbits(32)
            attempts = 3 if draw % 10 < 3 else 2
            gaps = [60 * (1 + (draw >> 4) % 20), 60 * (1 + (draw >> 9) % 20)][: attempts - 1]
            if second + sum(gaps) >= 86_400:
                second -= sum(gaps)
            for number in range(1, attempts):
                billed = (draw >> (14 + number)) % 5 < 2  # failed after reading the prompt: usage reported
                local = second + shift
                append(render(job_id if number == 1 else f"{job_id}_a{number}",
                              prefix if local < 86_400 else next_prefix, hms[local % 86_400], zone,
                              num[prompt] if billed else "", num[cached] if billed else "",
                              num[(draw >> 20) % 61] if billed else "", "failed", num[number],
                              "" if number == 1 else job_id))
                second += gaps[number - 1]
            local = second + shift
            line = render(f"{job_id}_a{attempts}", prefix if local < 86_400 else next_prefix, hms[local % 86_400],
                          zone, num[prompt], num[cached], num[output], "succeeded", num[attempts], job_id)
            out.retries += 1
        else:
            local = second + shift  # +02:00 profiles write local time, possibly on the next date
            line = render(job_id, prefix if local < 86_400 else next_prefix, hms[local % 86_400], zone, num[prompt],
                          num[cached], num[output], "succeeded", "1", "")
            if kind < duplicate_below:
                heapq.heappush(pending, (k + 1 + ((x >> 44) & (DUPLICATE_MAX_DELAY - 1)), k, line))
        append(line)
        while pending and pending[0][0] <= k:
            append(heapq.heappop(pending)[2])
            out.duplicates += 1
        if len(buffer) >= chunk:
            out.lines += len(buffer)
            sink("".join(buffer))
            buffer.clear()
    out.lines += len(buffer)
    if buffer:
        sink("".join(buffer))
    out.events = count
    out.spill = [line for _, _, line in sorted(pending)]
    return out


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------
JOBS_HEADER = ",".join(JOBS_COLUMNS) + "\n"


class Writer:
    """Runs file work (open, encode, gzip, write, close) in order on a background thread.

    zlib and the kernel's copy release the GIL, so they overlap with generation when a second core is
    free; the bounded queue keeps memory flat. An error in the thread is raised by the next call.
    """

    def __init__(self, depth: int = 4) -> None:
        self.jobs: queue.Queue[tuple[Callable[..., None], tuple[Any, ...]] | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="generate_events-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            if self.error is None:
                try:
                    job[0](*job[1])
                except BaseException as exc:
                    self.error = exc

    def submit(self, function: Callable[..., None], *args: Any) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put((function, args))

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


class OutputFile:
    """An output file opened on its first write (never created empty); gzip: mtime 0, no name in the header."""

    def __init__(self, path: Path, writer: Writer, *, compress: bool, header: str = "") -> None:
        self.path, self.writer, self.compress, self.header = path, writer, compress, header
        self.raw: IO[bytes] | None = None
        self.handle: IO[bytes] | None = None
        self.written = False

    def write(self, text: str) -> None:
        if not self.written:
            self.written = True
            text = self.header + text
        self.writer.submit(self._write, text)

    def close(self) -> None:
        if self.written:
            self.writer.submit(self._close)

    def _write(self, text: str) -> None:  # on the writer thread
        if self.handle is None:
            self.raw = open(self.path, "wb")  # noqa: SIM115 - closed in _close()
            self.handle = (gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, compresslevel=GZIP_LEVEL, mtime=0)
                           if self.compress else self.raw)
        self.handle.write(text.encode("utf-8"))

    def _close(self) -> None:  # on the writer thread
        if self.handle is not None and self.raw is not None:
            self.handle.close()
            self.raw.close()
        self.handle = self.raw = None


@dataclass
class Summary:
    files: list[Path] = field(default_factory=list)
    events: int = 0
    lines: int = 0
    duplicates: int = 0
    retries: int = 0

    def add(self, day: DayOutput) -> None:
        self.events += day.events
        self.lines += day.lines
        self.duplicates += day.duplicates
        self.retries += day.retries


def generate(plan: Plan, out: Path, *, split: str = "day", compress: bool = False,
             only_day: date | None = None) -> Summary:
    """Write the plan's files into `out` (or only `only_day`'s, named by the day); returns what was written.

    The second deliveries still due at the end of a day open the next day's file; those of the last
    day written are not written (they belong to the day after: the files are a prefix of the stream).
    """
    if only_day is not None and only_day < plan.start:
        raise ValueError(f"--only-day {only_day} is before --start {plan.start}")
    out.mkdir(parents=True, exist_ok=True)
    profiles = build_profiles(plan.seed)
    spill_gateway: list[str] = []
    spill_jobs: list[str] = []
    if only_day is not None and only_day > plan.start:  # replay the day before for its late deliveries
        before = only_day - timedelta(days=1)
        (gateway_first, gateway_count), (jobs_first, jobs_count) = plan.sources(before)
        spill_gateway = gateway_day(profiles, plan.seed, before, gateway_first, gateway_count, (), _discard).spill
        spill_jobs = jobs_day(profiles, plan.seed, before, jobs_first, jobs_count, (), _discard).spill
    summary = Summary()
    suffix = ".jsonl.gz" if compress else ".jsonl"
    writer = Writer()
    opened: list[OutputFile] = []
    key = ""
    try:
        for day in plan.days if only_day is None else [only_day]:
            day_key = day.isoformat() if split == "day" or only_day is not None else day.strftime("%Y-%m")
            if day_key != key:
                for handle in opened[-2:]:
                    handle.close()
                key = day_key
                opened += [OutputFile(out / f"gateway-{key}{suffix}", writer, compress=compress),
                           OutputFile(out / f"jobs-{key}.csv", writer, compress=False, header=JOBS_HEADER)]
            gateway_file, jobs_file = opened[-2:]
            (gateway_first, gateway_count), (jobs_first, jobs_count) = plan.sources(day)
            result = gateway_day(profiles, plan.seed, day, gateway_first, gateway_count, spill_gateway,
                                 gateway_file.write)
            summary.add(result)
            spill_gateway = result.spill
            result = jobs_day(profiles, plan.seed, day, jobs_first, jobs_count, spill_jobs, jobs_file.write)
            summary.add(result)
            spill_jobs = result.spill
        for handle in opened[-2:]:
            handle.close()
    finally:
        writer.close()
    summary.files = sorted(handle.path for handle in opened if handle.written)
    return summary


def _discard(text: str) -> None:
    del text


def iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


def count_arg(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=count_arg, required=True, help="logical usage events over the range")
    parser.add_argument("--months", type=int, default=1, help="calendar months from --start (default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--start", type=iso_day, default=DEFAULT_START, help="first UTC day (default 2026-01-01)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (created if missing)")
    parser.add_argument("--split", choices=("day", "month"), default="day", help="one file per day (default) or month")
    parser.add_argument("--gzip", action="store_true", help=f"gzip the gateway files (.jsonl.gz, level {GZIP_LEVEL})")
    parser.add_argument("--only-day", type=iso_day, metavar="YYYY-MM-DD",
                        help="write only this day's two files; a day after the range continues the stream")
    args = parser.parse_args(argv)
    if args.months < 1:
        parser.error("--months must be >= 1")
    plan = Plan(args.events, args.months, args.seed, args.start)
    started = time.perf_counter()
    try:
        summary = generate(plan, args.out, split=args.split, compress=args.gzip, only_day=args.only_day)
    except ValueError as exc:
        parser.error(str(exc))
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in summary.files)
    print(f"generate_events: {len(summary.files)} files, {summary.events:,} events, {summary.lines:,} lines "
          f"({summary.retries:,} retry chains, {summary.duplicates:,} second deliveries), {size:,} bytes, "
          f"{seconds:.2f} s ({summary.events / max(seconds, 1e-9):,.0f} events/s) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
