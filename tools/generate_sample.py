#!/usr/bin/env python3
"""Generate tokenledger's deterministic sample data: two months (2026-09, 2026-10 UTC) of AI usage.

Usage: python tools/generate_sample.py [--seed 42] [--out data/sample]

Writes into --out (default: data/sample under the project root):
  jobs-export-2026-09.csv      Jobs export, September: UTF-8 BOM, CRLF, lowercase header in the documented order
  jobs-export-2026-10.csv   overlapping Jobs export, late September to October: Title-Case header, another
                               column order, one extra `Region` column, LF line endings
  gateway-2026-09.jsonl        gateway request log, September (one JSON object per line)
  gateway-2026-10.jsonl.gz     gateway request log, October (gzip with mtime 0 and no file name in the header)
  README.md                    what the sample holds and where every deliberate edge case is (file + id)

Same seed, same bytes. The generator reads no clock, never iterates a set, and draws only with
random.Random(seed) methods that are exact across platforms (random(), randint(), choice(), choices(),
shuffle()): no gauss/lognormvariate, whose libm maths may differ in the last bit between machines.
Deliberate edge cases use fixed, descriptive ids (`req_edge_*`, `job_edge_*`) so that tests and docs can
name them; everything else gets seeded random ids.

Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = 42
DEFAULT_OUT = PROJECT_ROOT / "data" / "sample"

UTC = UTC
PLUS_TWO = timezone(timedelta(hours=2))

# --------------------------------------------------------------------------------------------------
# The organisation. The attribution seeds (a later feature) are built from exactly these ids.
# --------------------------------------------------------------------------------------------------
TEAMS: tuple[str, ...] = ("search", "support", "platform", "data-science", "finance")
UNKNOWN_TEAM = "growth"  # a team tag that names no known team

USERS: dict[str, str] = {  # user -> home team
    "alice@corp.example": "search",
    "bob@corp.example": "support",
    "carol@corp.example": "platform",
    "dan@corp.example": "data-science",
    "erin@corp.example": "finance",
}
PERSONAL_KEYS: dict[str, str] = {  # personal API key -> user
    "pk.alice": "alice@corp.example",
    "pk.bob": "bob@corp.example",
    "pk.carol": "carol@corp.example",
    "pk.dan": "dan@corp.example",
    "pk.erin": "erin@corp.example",
}
TEAM_KEYS: dict[str, str] = {  # team API key -> owning team
    "team.search.bot": "search",
    "team.search.ranker": "search",
    "team.support.main": "support",
    "team.platform.ci": "platform",
    "team.platform.oncall": "platform",
    "team.data-science.notebooks": "data-science",
    "team.finance.ap": "finance",
}
SHARED_KEY = "team.shared.reports"  # used by several teams: no single owner
ORPHAN_KEY = "svc.legacy-etl"  # owned by nobody (mystery-agent's key)

PROJECTS: dict[str, str] = {  # team -> its project
    "search": "ranking",
    "support": "helpdesk",
    "platform": "ci",
    "data-science": "forecasting",
    "finance": "ap-automation",
}
ENVIRONMENTS: tuple[tuple[str, int], ...] = (("prod", 80), ("staging", 12), ("dev", 8))
CUSTOMERS: tuple[str, ...] = ("acme", "globex", "initech")
REGIONS: tuple[str, ...] = ("us-east-1", "eu-west-1")

# Model string as emitted -> provider.
MODEL_PROVIDERS: dict[str, str] = {
    "gpt-5.4": "openai",
    "gpt-5.4-2026-03-05": "openai",
    "gpt-5.4-mini": "openai",
    "claude-sonnet-4-20250514": "anthropic",
    "claude-sonnet-4-5": "anthropic",
    "claude-haiku-4-5": "anthropic",
    "acme-llm-7b": "openai",
}
UNKNOWN_MODEL = "acme-llm-7b"  # not in the price catalog: must stay unpriced

# Pricing dates and thresholds the sample deliberately straddles.
SERVICE_TIER_START = datetime(2026, 10, 12, tzinfo=UTC)  # flex / priority prices start
BATCH_PRICE_START = datetime(2026, 10, 14, tzinfo=UTC)  # gpt-5.4's batch price starts
GPT54_LONG_CONTEXT_ABOVE = 272_000  # total input tokens strictly above this: long-context rates
SONNET45_LONG_CONTEXT_ABOVE = 200_000

SEPTEMBER = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
RANDOM_TOKENS_CAP = 150_000  # random traffic stays well below the long-context tiers

# Volumes (before retries, duplicates and edge cases).
GATEWAY_CALLS = {"2026-09": 860, "2026-10": 1000}
JOBS_ROWS = {"2026-09": 470, "2026-10": 540}
JOBS_OVERLAP_ROWS = 20  # rows of the September export repeated in the September-October export

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES = "/v1/messages"


@dataclass(frozen=True)
class Agent:
    """One agent (or the agent-less ad-hoc traffic) and how it uses the APIs."""

    name: str | None  # None: ad-hoc traffic through a personal key, no agent
    team: str | None  # owning team; None = shared or unowned
    keys: tuple[tuple[str, str | None], ...]  # (api_key_id, user) pairs it runs under
    models: tuple[tuple[str, int], ...]  # gateway model mix (weights)
    jobs_models: tuple[tuple[str, int], ...]  # Jobs model mix (mostly OpenAI)
    gateway_weight: int
    jobs_weight: int
    input_range: tuple[int, int]  # total prompt tokens, cache included
    output_range: tuple[int, int]
    openai_endpoint: str = CHAT
    untagged_share: float = 0.05
    tag_with_user_team: bool = False  # tagged traffic names the user's team, not the agent's
    cache_share: float = 0.5
    reasoning_share: float = 0.0
    customer_share: float = 0.2
    batch_share: float = 0.0
    flex_share: float = 0.0  # from SERVICE_TIER_START on
    priority_share: float = 0.0  # from SERVICE_TIER_START on
    workflows: tuple[str, ...] = ("default",)


AGENTS: tuple[Agent, ...] = (
    Agent(
        "search-bot", "search",
        keys=(("team.search.bot", None), ("team.search.bot", None), ("team.search.bot", "alice@corp.example")),
        models=(("gpt-5.4-mini", 8), ("gpt-5.4", 2)),
        jobs_models=(("gpt-5.4-mini", 1),),
        gateway_weight=30, jobs_weight=2, input_range=(800, 7_000), output_range=(40, 700),
        cache_share=0.6, reasoning_share=0.2, customer_share=0.7, priority_share=0.1,
        workflows=("query-rewrite-backfill",),
    ),
    Agent(
        "ranker", "search",
        keys=(("team.search.ranker", None),),
        models=(("gpt-5.4-2026-03-05", 5), ("gpt-5.4", 3), ("gpt-5.4-mini", 2)),
        jobs_models=(("gpt-5.4-2026-03-05", 5), ("gpt-5.4", 3), ("gpt-5.4-mini", 2)),
        gateway_weight=10, jobs_weight=25, input_range=(2_000, 30_000), output_range=(200, 4_000),
        openai_endpoint=RESPONSES, cache_share=0.5, reasoning_share=0.7, customer_share=0.5,
        batch_share=0.3, flex_share=0.2, workflows=("nightly-ranking-eval", "reindex-embeddings", "judge-pairs"),
    ),
    Agent(
        "support-triage", "support",
        keys=(("team.support.main", None),),
        models=(("claude-haiku-4-5", 9), ("gpt-5.4-mini", 1)),
        jobs_models=(("gpt-5.4-mini", 2), ("claude-haiku-4-5", 1)),
        gateway_weight=25, jobs_weight=3, input_range=(600, 5_000), output_range=(30, 400),
        cache_share=0.7, customer_share=0.8, workflows=("ticket-backlog-triage",),
    ),
    Agent(
        "support-writer", "support",
        keys=(("team.support.main", None), ("pk.bob", "bob@corp.example")),
        models=(("claude-sonnet-4-5", 7), ("claude-sonnet-4-20250514", 3)),
        jobs_models=(("claude-sonnet-4-5", 1), ("gpt-5.4", 1)),
        gateway_weight=15, jobs_weight=8, input_range=(1_500, 12_000), output_range=(200, 1_800),
        cache_share=0.6, customer_share=0.8, workflows=("macro-refresh", "kb-article-drafts"),
    ),
    Agent(
        "code-review", "platform",
        keys=(("team.platform.ci", None),),
        models=(("claude-sonnet-4-20250514", 4), ("gpt-5.4", 4), ("claude-sonnet-4-5", 2)),
        jobs_models=(("gpt-5.4", 6), ("gpt-5.4-2026-03-05", 2), ("claude-sonnet-4-20250514", 2)),
        gateway_weight=10, jobs_weight=20, input_range=(5_000, 80_000), output_range=(300, 6_000),
        openai_endpoint=RESPONSES, cache_share=0.5, reasoning_share=0.6, customer_share=0.0,
        workflows=("pr-review", "release-notes", "dependency-audit"),
    ),
    Agent(
        "infra-oncall", "platform",
        keys=(("team.platform.oncall", None), ("pk.carol", "carol@corp.example")),
        models=(("gpt-5.4-mini", 6), ("gpt-5.4", 4)),
        jobs_models=(("gpt-5.4", 1),),
        gateway_weight=8, jobs_weight=2, input_range=(1_000, 20_000), output_range=(100, 2_000),
        cache_share=0.3, reasoning_share=0.4, customer_share=0.0, priority_share=0.4,
        workflows=("incident-postmortem",),
    ),
    Agent(
        "notebook-assistant", "data-science",
        keys=(("pk.dan", "dan@corp.example"), ("team.data-science.notebooks", "dan@corp.example"),
              ("team.data-science.notebooks", None)),
        models=(("gpt-5.4", 5), ("claude-sonnet-4-5", 3), ("gpt-5.4-mini", 2)),
        jobs_models=(("gpt-5.4", 6), ("gpt-5.4-mini", 3), ("claude-sonnet-4-5", 1)),
        gateway_weight=10, jobs_weight=15, input_range=(1_000, 40_000), output_range=(100, 3_000),
        openai_endpoint=RESPONSES, cache_share=0.4, reasoning_share=0.5, customer_share=0.1,
        workflows=("forecast-refresh", "feature-backfill", "ad-hoc"),
    ),
    Agent(
        "report-summarizer", None,  # shared between support, data-science and finance; often untagged
        keys=((SHARED_KEY, "bob@corp.example"), (SHARED_KEY, "dan@corp.example"), (SHARED_KEY, "erin@corp.example"),
              ("pk.dan", "dan@corp.example"), ("pk.erin", "erin@corp.example")),
        models=(("claude-sonnet-4-5", 5), ("gpt-5.4-mini", 5)),
        jobs_models=(("gpt-5.4-mini", 6), ("claude-sonnet-4-5", 2)),
        gateway_weight=8, jobs_weight=15, input_range=(3_000, 40_000), output_range=(200, 2_500),
        untagged_share=0.5, tag_with_user_team=True, cache_share=0.4, customer_share=0.2, batch_share=0.25,
        workflows=("weekly-digest", "monthly-close-summary", "board-pack"),
    ),
    Agent(
        "invoice-reader", "finance",
        keys=(("team.finance.ap", None), ("pk.erin", "erin@corp.example")),
        models=(("gpt-5.4-mini", 7), ("claude-haiku-4-5", 3)),
        jobs_models=(("gpt-5.4-mini", 8), ("claude-haiku-4-5", 2)),
        gateway_weight=8, jobs_weight=20, input_range=(1_500, 9_000), output_range=(150, 1_200),
        cache_share=0.5, customer_share=0.0, batch_share=0.3, flex_share=0.5,
        workflows=("invoice-extraction", "vendor-matching", "monatsbericht-übersicht"),
    ),
    Agent(
        "mystery-agent", None,  # no owner anywhere: no team tag, orphan key, no user
        keys=((ORPHAN_KEY, None),),
        models=(("gpt-5.4-mini", 1),),
        jobs_models=(("gpt-5.4-mini", 1),),
        gateway_weight=2, jobs_weight=2, input_range=(500, 4_000), output_range=(50, 500),
        untagged_share=1.0, cache_share=0.2, customer_share=0.0, workflows=("",),
    ),
    Agent(
        None, None,  # ad-hoc use of personal keys without an agent (gateway only)
        keys=tuple((key, user) for key, user in PERSONAL_KEYS.items()),
        models=(("gpt-5.4", 3), ("gpt-5.4-mini", 3), ("claude-sonnet-4-5", 2), ("claude-haiku-4-5", 1)),
        jobs_models=(("gpt-5.4-mini", 1),),
        gateway_weight=5, jobs_weight=0, input_range=(300, 15_000), output_range=(50, 2_000),
        untagged_share=0.4, tag_with_user_team=True, cache_share=0.3, reasoning_share=0.3, customer_share=0.0,
    ),
)
AGENT_BY_NAME: dict[str | None, Agent] = {agent.name: agent for agent in AGENTS}


# --------------------------------------------------------------------------------------------------
# Provider-neutral description of one API call.
# --------------------------------------------------------------------------------------------------
@dataclass
class Tokens:
    prompt: int  # all input tokens: uncached + cache reads + cache writes
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    output: int = 0  # includes reasoning
    reasoning: int = 0

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def uncached(self) -> int:
        return self.prompt - self.cache_read - self.cache_write


@dataclass
class Call:
    """One request (gateway) or job (Jobs export) before it is written in either format."""

    id: str
    ts: datetime
    agent: Agent
    api_key_id: str
    user: str | None
    model: str
    provider: str
    tags: dict[str, str]  # team / project / environment / customer (only the keys present)
    tokens: Tokens | None  # None: no usage reported
    status: str = "ok"  # ok | failed
    error_code: int = 0  # gateway HTTP status of a failure
    attempt: int = 1
    retry_of: str | None = None
    batch: bool = False
    service_tier: str | None = "default"  # OpenAI response.service_tier; None = field absent
    endpoint: str = CHAT
    workflow: str = ""
    header_style: str = "lower"  # lower | title | upper | mixed | none (no headers object)
    extras: dict[str, Any] = field(default_factory=dict)  # unknown top-level fields
    response_id: str | None = ""  # "" = generate; None = omit response.id
    anthropic_breakdown: bool = False  # emit usage.cache_creation {ephemeral_5m, ephemeral_1h}
    arrival: datetime | None = None  # when the line was written (default: ts)


# --------------------------------------------------------------------------------------------------
# Drawing helpers (exact across platforms: integer maths on random.random()/randint only).
# --------------------------------------------------------------------------------------------------
def skewed(rng: random.Random, lo: int, hi: int) -> int:
    """A value in [lo, hi] skewed toward lo (median near lo + a quarter of the range)."""
    r = rng.random()
    return lo + int((hi - lo) * r * r)


def weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in options], weights=[weight for _, weight in options])[0]


def hex_id(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def alnum_id(rng: random.Random, length: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rng.choice(alphabet) for _ in range(length))


def draw_time(rng: random.Random, month: tuple[datetime, datetime], *, nightly: bool = False) -> datetime:
    """A second in the month, busier on weekday working hours; nightly runs fall between 01:00 and 05:00 UTC."""
    start, end = month
    span = int((end - start).total_seconds())
    while True:
        ts = start + timedelta(seconds=rng.randrange(span))
        if nightly:
            if 1 <= ts.hour < 5:
                return ts
            continue
        weight = 1.0 if 7 <= ts.hour < 19 else 0.3
        if ts.weekday() >= 5:
            weight *= 0.3
        if rng.random() < weight:
            return ts


def draw_tags(rng: random.Random, agent: Agent, user: str | None) -> dict[str, str]:
    """Team / project / environment / customer tags; some untagged, a few with an unknown team."""
    if agent.tag_with_user_team:
        home = USERS.get(user or "")
    else:
        home = agent.team
    tags: dict[str, str] = {}
    untagged = home is None or rng.random() < agent.untagged_share
    if home is not None and not untagged:
        tags["team"] = UNKNOWN_TEAM if rng.random() < 0.004 else home
    project_team = home or agent.team
    if project_team is not None and (not untagged or rng.random() < 0.5):
        tags["project"] = PROJECTS[project_team]
    if agent.name != "mystery-agent" and rng.random() < 0.9:
        tags["environment"] = weighted(rng, ENVIRONMENTS)
    if rng.random() < agent.customer_share:
        tags["customer"] = rng.choice(CUSTOMERS)
    return tags


def draw_tokens(rng: random.Random, agent: Agent, provider: str, *, jobs: bool) -> Tokens:
    """Realistic usage for one successful call of this agent."""
    lo, hi = agent.input_range
    prompt = skewed(rng, lo, hi)
    if rng.random() < 0.02:  # a few large prompts
        prompt = min(prompt * rng.randint(2, 4), RANDOM_TOKENS_CAP)
    tokens = Tokens(prompt=prompt)
    if rng.random() < agent.cache_share and prompt >= 1_024:
        if provider == "openai" or jobs:
            # OpenAI caches prefixes in 128-token steps.
            tokens.cache_read = 128 * rng.randint(1, max(1, (prompt * 4 // 5) // 128))
        else:
            tokens.cache_read = rng.randint(prompt // 5, prompt * 4 // 5)
            if rng.random() < 0.35:
                write = rng.randint(1, max(1, (prompt - tokens.cache_read) * 3 // 4))
                tokens.cache_write_5m = write
    elif provider == "anthropic" and not jobs and prompt >= 2_048 and rng.random() < 0.15:
        tokens.cache_write_5m = rng.randint(prompt // 3, prompt * 3 // 4)  # first call of a session: cache write
    out_lo, out_hi = agent.output_range
    tokens.output = skewed(rng, out_lo, out_hi)
    if provider == "openai" and rng.random() < agent.reasoning_share:
        tokens.reasoning = rng.randint(tokens.output // 5, tokens.output * 4 // 5)
    return tokens


# --------------------------------------------------------------------------------------------------
# Gateway request log (JSON Lines)
# --------------------------------------------------------------------------------------------------
HEADER_NAMES: dict[str, dict[str, str]] = {
    "lower": {"team": "x-team", "project": "x-project", "environment": "x-environment", "customer": "x-customer"},
    "title": {"team": "X-Team", "project": "X-Project", "environment": "X-Environment", "customer": "X-Customer"},
    "upper": {"team": "X-TEAM", "project": "X-PROJECT", "environment": "X-ENVIRONMENT", "customer": "X-CUSTOMER"},
    "mixed": {"team": "X-Team", "project": "x-project", "environment": "X-ENVIRONMENT", "customer": "x-Customer"},
}
ERRORS: dict[tuple[str, int], dict[str, Any]] = {
    ("openai", 429): {"message": "Rate limit reached for requests per min (RPM). Please try again in 2s.",
                      "type": "requests", "param": None, "code": "rate_limit_exceeded"},
    ("openai", 500): {"message": "The server had an error while processing your request. Sorry about that!",
                      "type": "server_error", "param": None, "code": None},
    ("anthropic", 429): {"type": "rate_limit_error",
                         "message": "This request would exceed the rate limit for your organization."},
    ("anthropic", 500): {"type": "api_error", "message": "Internal server error"},
}


def native_usage(call: Call) -> dict[str, Any]:
    """The provider's own usage object for this call's endpoint."""
    t = call.tokens
    assert t is not None
    if call.endpoint == MESSAGES:
        usage: dict[str, Any] = {
            "input_tokens": t.uncached,
            "cache_creation_input_tokens": t.cache_write,
            "cache_read_input_tokens": t.cache_read,
            "output_tokens": t.output,
        }
        if call.anthropic_breakdown:
            usage["cache_creation"] = {
                "ephemeral_5m_input_tokens": t.cache_write_5m,
                "ephemeral_1h_input_tokens": t.cache_write_1h,
            }
        usage["service_tier"] = "standard"
        return usage
    if call.endpoint == RESPONSES:
        usage = {
            "input_tokens": t.prompt,
            "input_tokens_details": {"cached_tokens": t.cache_read},
            "output_tokens": t.output,
            "output_tokens_details": {"reasoning_tokens": t.reasoning},
            "total_tokens": t.prompt + t.output,
        }
        return usage
    usage = {
        "prompt_tokens": t.prompt,
        "completion_tokens": t.output,
        "total_tokens": t.prompt + t.output,
        "prompt_tokens_details": {"cached_tokens": t.cache_read},
    }
    if t.reasoning:
        usage["completion_tokens_details"] = {"reasoning_tokens": t.reasoning}
    return usage


def gateway_record(call: Call, rng: random.Random) -> dict[str, Any]:
    """The gateway's JSON object for one call (key order fixed)."""
    record: dict[str, Any] = {
        "request_id": call.id,
        "timestamp": call.ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "provider": call.provider,
        "endpoint": call.endpoint,
        "status_code": call.error_code if call.status == "failed" else 200,
        "latency_ms": 0,
        "api_key_id": call.api_key_id,
        "user": call.user,
        "agent": call.agent.name,
        "attempt": call.attempt,
        "retry_of": call.retry_of,
        "batch": call.batch,
    }
    out = call.tokens.output if call.tokens else 0
    record["latency_ms"] = rng.randint(150, 900) + out * rng.randint(4, 12)
    if call.header_style != "none":
        names = HEADER_NAMES[call.header_style]
        headers = {names[key]: value for key, value in call.tags.items()}
        if rng.random() < 0.2:
            headers["user-agent"] = "OpenAI/Python 1.99.0" if call.provider == "openai" else "anthropic-python/0.60.0"
        record["headers"] = headers
    if call.tokens is not None:
        response: dict[str, Any] = {}
        if call.response_id is not None:
            response["id"] = call.response_id or response_id(rng, call.endpoint)
        if call.endpoint == MESSAGES:
            response.update({"type": "message", "role": "assistant", "model": call.model, "stop_reason": "end_turn"})
        elif call.endpoint == RESPONSES:
            response.update({"object": "response", "created_at": int(call.ts.timestamp()), "status": "completed",
                             "model": call.model})
        else:
            response.update({"object": "chat.completion", "created": int(call.ts.timestamp()), "model": call.model})
        if call.provider == "openai" and call.service_tier is not None:
            response["service_tier"] = call.service_tier
        response["usage"] = native_usage(call)
        record["response"] = response
    if call.status == "failed":
        record["error"] = dict(ERRORS[(call.provider, call.error_code)])
    record.update(call.extras)
    return record


def response_id(rng: random.Random, endpoint: str) -> str:
    if endpoint == MESSAGES:
        return "msg_01" + alnum_id(rng, 22)
    if endpoint == RESPONSES:
        return "resp_" + hex_id(rng, 40)
    return "chatcmpl-" + alnum_id(rng, 29)


def endpoint_for(agent: Agent, provider: str) -> str:
    return MESSAGES if provider == "anthropic" else agent.openai_endpoint


def gateway_call(rng: random.Random, agent: Agent, ts: datetime, *, model: str | None = None,
                 request_id: str | None = None, provider: str | None = None) -> Call:
    """A successful gateway call of `agent` at `ts` with random model, tags, usage and tier.

    `provider` is needed only for a model outside MODEL_PROVIDERS (tools/generate_events.py)."""
    key, user = rng.choice(agent.keys)
    model = model or weighted(rng, agent.models)
    provider = provider or MODEL_PROVIDERS[model]
    tags = draw_tags(rng, agent, user)
    if "team" in tags:
        style = weighted(rng, (("lower", 6), ("title", 3), ("upper", 1)))
    else:
        style = weighted(rng, (("lower", 4), ("title", 2), ("none", 4)))  # untagged: often no headers at all
    call = Call(
        id=request_id or "req_" + hex_id(rng, 16), ts=ts, agent=agent, api_key_id=key, user=user, model=model,
        provider=provider, tags=tags, tokens=draw_tokens(rng, agent, provider, jobs=False),
        endpoint=endpoint_for(agent, provider), header_style=style,
    )
    if provider == "openai" and agent.openai_endpoint == CHAT and rng.random() < 0.5 and model != UNKNOWN_MODEL:
        call.endpoint = RESPONSES if rng.random() < 0.3 else CHAT
    if provider == "anthropic":
        call.service_tier = None
        call.anthropic_breakdown = rng.random() < 0.6
        t = call.tokens
        assert t is not None
        if call.anthropic_breakdown and t.cache_write_5m and rng.random() < 0.4:
            one_hour = rng.randint(1, t.cache_write_5m)  # part of the write uses the 1-hour TTL
            t.cache_write_1h, t.cache_write_5m = one_hour, t.cache_write_5m - one_hour
    elif ts >= SERVICE_TIER_START and model in ("gpt-5.4", "gpt-5.4-2026-03-05", "gpt-5.4-mini"):
        r = rng.random()
        if r < agent.flex_share:
            call.service_tier = "flex"
        elif r < agent.flex_share + agent.priority_share:
            call.service_tier = "priority"
    if call.provider == "openai" and rng.random() < 0.03:
        call.service_tier = None  # field absent: means default
    if rng.random() < 0.03:
        call.response_id = None
    if rng.random() < 0.3:
        call.extras["region"] = rng.choice(REGIONS)
    if rng.random() < 0.15:
        call.extras["trace_id"] = hex_id(rng, 32)
    if rng.random() < 0.1:
        call.extras["gateway"] = {"version": "2.3.1", "node": "gw-" + str(rng.randint(1, 4))}
    return call


def retry_chain(rng: random.Random, final: Call) -> list[Call]:
    """Earlier failed attempts (429/500, no usage) in front of `final`, which becomes their last attempt."""
    attempts = 3 if rng.random() < 0.25 else 2
    gaps = [rng.randint(2, 45) for _ in range(attempts - 1)]  # seconds before the next attempt
    chain: list[Call] = []
    for number in range(1, attempts):
        failed = replace(final, id=final.id if number == 1 else "req_" + hex_id(rng, 16),
                         ts=final.ts - timedelta(seconds=sum(gaps[number - 1:])), tokens=None,
                         status="failed", error_code=429 if rng.random() < 0.7 else 500, attempt=number,
                         retry_of=None if number == 1 else final.id, extras={}, response_id=None)
        chain.append(failed)
    first_id = final.id
    chain.append(replace(final, id="req_" + hex_id(rng, 16), attempt=attempts, retry_of=first_id))
    return chain


def gateway_edge_calls(rng: random.Random) -> dict[str, list[Call]]:
    """The deliberate, valid edge-case records of the gateway log, by month."""
    def at(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    def make(request_id: str, agent: str | None, ts: str, model: str, **changes: Any) -> Call:
        call = gateway_call(rng, AGENT_BY_NAME[agent], at(ts), model=model, request_id=request_id)
        for name, value in changes.items():
            setattr(call, name, value)
        if call.tags.get("team") and call.header_style == "none":
            call.header_style = "title"
        return call

    def tagged(team: str, **extra: str) -> dict[str, str]:
        return {"team": team, "project": PROJECTS[team], "environment": "prod", **extra}

    sept: list[Call] = []
    octo: list[Call] = []
    # Long context: total input (cache included) above / at the tier start.
    octo.append(make("req_edge_gpt54_lc_boundary", "code-review", "2026-10-06T09:12:44Z", "gpt-5.4",
                     endpoint=RESPONSES, tokens=Tokens(prompt=272_000, output=3_100, reasoning=1_800),
                     service_tier="default", tags=tagged("platform")))
    octo.append(make("req_edge_gpt54_lc_above", "code-review", "2026-10-06T09:31:02Z", "gpt-5.4-2026-03-05",
                     endpoint=RESPONSES, tokens=Tokens(prompt=272_001, output=2_950, reasoning=1_400),
                     service_tier="default", tags=tagged("platform")))
    sept.append(make("req_edge_gpt54_lc_cached", "notebook-assistant", "2026-09-22T14:05:17Z", "gpt-5.4",
                     endpoint=CHAT, tokens=Tokens(prompt=300_000, cache_read=180_096, output=4_200, reasoning=2_048),
                     service_tier="default", tags=tagged("data-science")))
    sept.append(make("req_edge_sonnet45_lc_above", "support-writer", "2026-09-15T11:40:09Z", "claude-sonnet-4-5",
                     tokens=Tokens(prompt=210_000, output=1_900), anthropic_breakdown=False,
                     tags=tagged("support", customer="globex")))
    octo.append(make("req_edge_sonnet45_lc_cache", "report-summarizer", "2026-10-20T16:22:51Z", "claude-sonnet-4-5",
                     tokens=Tokens(prompt=205_000, cache_read=160_000, cache_write_5m=10_000, cache_write_1h=5_000,
                                   output=2_400),
                     anthropic_breakdown=True, user="erin@corp.example", api_key_id=SHARED_KEY,
                     tags=tagged("finance")))
    octo.append(make("req_edge_sonnet45_lc_boundary", "support-writer", "2026-10-21T10:03:30Z", "claude-sonnet-4-5",
                     tokens=Tokens(prompt=200_000, cache_read=180_000, output=1_250), anthropic_breakdown=True,
                     tags=tagged("support", customer="acme")))
    # Batch around the day gpt-5.4's batch price starts, and the first day of the flex / priority prices.
    octo.append(make("req_edge_batch_before", "ranker", "2026-10-13T23:59:59Z", "gpt-5.4",
                     endpoint=RESPONSES, batch=True, service_tier="default",
                     tokens=Tokens(prompt=18_400, cache_read=8_192, output=1_650, reasoning=900),
                     tags=tagged("search")))
    octo.append(make("req_edge_batch_on", "ranker", "2026-10-14T00:00:00Z", "gpt-5.4",
                     endpoint=RESPONSES, batch=True, service_tier="default",
                     tokens=Tokens(prompt=18_400, cache_read=8_192, output=1_650, reasoning=900),
                     tags=tagged("search")))
    octo.append(make("req_edge_flex_first_day", "invoice-reader", "2026-10-12T00:00:05Z", "gpt-5.4-mini",
                     endpoint=CHAT, service_tier="flex", batch=False,
                     tokens=Tokens(prompt=4_300, cache_read=2_048, output=610), tags=tagged("finance")))
    # The unknown model: provider openai, not in any price catalog.
    for number, (ts, month) in enumerate((("2026-09-08T15:20:00Z", sept), ("2026-09-19T10:41:12Z", sept),
                                          ("2026-09-29T13:02:45Z", sept), ("2026-10-07T09:55:31Z", octo),
                                          ("2026-10-27T17:14:08Z", octo)), start=1):
        month.append(make(f"req_edge_unknown_model_{number}", "notebook-assistant", ts, UNKNOWN_MODEL,
                          endpoint=CHAT, service_tier="default",
                          tokens=Tokens(prompt=1_200 + 700 * number, output=300 + 40 * number),
                          tags=tagged("data-science")))
    # Failed attempts that still report usage (the provider bills what it reports), then a successful retry.
    for request_id, agent, ts, model, endpoint, month in (
        ("req_edge_failed_usage_openai", "ranker", "2026-09-10T08:14:22Z", "gpt-5.4", RESPONSES, sept),
        ("req_edge_failed_usage_anthropic", "support-writer", "2026-10-09T13:48:10Z", "claude-sonnet-4-5", MESSAGES,
         octo),
    ):
        failed = make(request_id, agent, ts, model, endpoint=endpoint, status="failed", error_code=500)
        retry = replace(failed, id=request_id + "_retry", ts=failed.ts + timedelta(seconds=7), status="ok",
                        error_code=0, attempt=2, retry_of=request_id, response_id="")
        month.extend([failed, retry])
    # Month boundary and a September record that arrived in the October file.
    sept.append(make("req_edge_last_second_sept", "search-bot", "2026-09-30T23:59:59Z", "gpt-5.4-mini"))
    octo.append(make("req_edge_first_second_oct", "search-bot", "2026-10-01T00:00:00Z", "gpt-5.4-mini"))
    octo.append(make("req_edge_late_arrival", "support-triage", "2026-09-30T23:58:30Z", "claude-haiku-4-5",
                     arrival=at("2026-10-01T00:02:10Z")))
    # One header object mixing cases within itself.
    sept.append(make("req_edge_mixed_case_headers", "infra-oncall", "2026-09-24T07:45:00Z", "gpt-5.4-mini",
                     header_style="mixed", tags={"team": "platform", "project": "ci", "environment": "staging"}))
    attribution = attribution_edge_calls()
    return {"2026-09": sept + attribution["2026-09"], "2026-10": octo + attribution["2026-10"]}


def attribution_edge_calls() -> dict[str, list[Call]]:
    """Untagged records that exercise each ownership path (team key, owner change, person moving team,
    a merged team's tag, a shared login). Drawn from their own generator so the rest stays as it was."""
    rng = random.Random("attribution-edge-cases")

    def make(request_id: str, agent: str | None, ts: str, model: str, **changes: Any) -> Call:
        call = gateway_call(rng, AGENT_BY_NAME[agent], datetime.fromisoformat(ts.replace("Z", "+00:00")),
                            model=model, request_id=request_id)
        call.tags, call.header_style = {}, "none"
        for name, value in changes.items():
            setattr(call, name, value)
        return call

    sept = [
        # No tag, no agent, a team key: attributed by the key (team_key).
        make("req_edge_team_key_only", None, "2026-09-11T10:00:00Z", "gpt-5.4-mini",
             api_key_id="team.platform.ci", user=None),
        # carol's personal key used by a search agent while carol's own agent is platform's: a shared login.
        make("req_edge_shared_login", "search-bot", "2026-09-17T15:30:00Z", "gpt-5.4-mini",
             api_key_id="pk.carol", user="carol@corp.example"),
    ]
    octo = [
        make("req_edge_team_key_only_oct", None, "2026-10-08T10:00:00Z", "gpt-5.4-mini",
             api_key_id="team.platform.ci", user=None),
        # infra-oncall moves from platform to search on 2026-10-15 (agent_directory.csv).
        make("req_edge_owner_change_before", "infra-oncall", "2026-10-14T12:00:00Z", "gpt-5.4-mini",
             api_key_id="team.platform.oncall", user=None),
        make("req_edge_owner_change_after", "infra-oncall", "2026-10-16T12:00:00Z", "gpt-5.4-mini",
             api_key_id="team.platform.oncall", user=None),
        # carol moves from platform to search on 2026-10-20 (people.csv): ad-hoc use of her personal key.
        make("req_edge_person_moved_before", None, "2026-10-19T09:00:00Z", "gpt-5.4",
             api_key_id="pk.carol", user="carol@corp.example"),
        make("req_edge_person_moved_after", None, "2026-10-21T09:00:00Z", "gpt-5.4",
             api_key_id="pk.carol", user="carol@corp.example"),
        # A tag naming growth-labs, merged into search on 2026-10-01: still counts for growth-labs.
        make("req_edge_merged_team_tag", "ranker", "2026-10-22T11:00:00Z", "gpt-5.4-mini",
             tags={"team": "growth-labs", "project": "experiments", "environment": "prod"}, header_style="lower"),
    ]
    return {"2026-09": sept, "2026-10": octo}


@dataclass
class Line:
    arrival: datetime
    order: int
    text: str
    request_id: str | None
    kind: str  # record | duplicate (same file) | replay (a September line in the October file) | conflict | malformed


def malformed_gateway_lines(rng: random.Random) -> dict[str, list[tuple[str, datetime, str, str]]]:
    """(id, arrival, text, description) of the deliberately malformed lines, by month."""
    def base(request_id: str, ts: str, agent: str, model: str) -> dict[str, Any]:
        when = datetime.fromisoformat(ts.replace("Z", "+00:00"))
        call = gateway_call(rng, AGENT_BY_NAME[agent], when, model=model, request_id=request_id)
        call.service_tier = "default" if call.provider == "openai" else None
        call.endpoint = endpoint_for(call.agent, call.provider) if call.provider == "anthropic" else CHAT
        call.header_style = "lower"
        call.tags = {"team": call.agent.team or "search", "environment": "prod"}
        call.extras = {}
        return gateway_record(call, rng)

    def when(ts: str) -> datetime:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))

    truncated = json.dumps(base("req_edge_truncated", "2026-09-11T10:20:30Z", "search-bot", "gpt-5.4-mini"))
    no_usage = base("req_edge_no_usage", "2026-09-18T15:03:11Z", "support-triage", "claude-haiku-4-5")
    del no_usage["response"]["usage"]
    bad_ts = base("req_edge_bad_timestamp", "2026-09-25T12:00:00Z", "infra-oncall", "gpt-5.4-mini")
    bad_ts["timestamp"] = "2026-09-31T12:00:00Z"  # September has 30 days
    many = base("req_edge_tokens_many", "2026-10-05T11:11:11Z", "search-bot", "gpt-5.4-mini")
    many["response"]["usage"]["prompt_tokens"] = "many"
    negative = base("req_edge_negative_tokens", "2026-10-16T09:30:00Z", "support-writer", "claude-sonnet-4-5")
    negative["response"]["usage"]["output_tokens"] = -42
    return {
        "2026-09": [
            ("req_edge_truncated", when("2026-09-11T10:20:30Z"), truncated[: len(truncated) * 3 // 5],
             "truncated JSON (the write stopped mid-object)"),
            ("req_edge_no_usage", when("2026-09-18T15:03:11Z"), json.dumps(no_usage),
             "valid JSON, status 200, `response.usage` missing"),
            ("req_edge_bad_timestamp", when("2026-09-25T12:00:00Z"), json.dumps(bad_ts),
             "unparseable `timestamp` `2026-09-31T12:00:00Z` (September has 30 days)"),
        ],
        "2026-10": [
            ("(array line)", when("2026-10-08T03:00:00Z"), "[1,2]", "a JSON array `[1,2]`, not an object"),
            ("req_edge_tokens_many", when("2026-10-05T11:11:11Z"), json.dumps(many),
             'non-numeric token count `"prompt_tokens": "many"`'),
            ("req_edge_negative_tokens", when("2026-10-16T09:30:00Z"), json.dumps(negative),
             "negative token count `\"output_tokens\": -42`"),
        ],
    }


@dataclass
class GatewayResult:
    lines: dict[str, list[Line]]
    calls: dict[str, list[Call]]
    malformed: dict[str, list[tuple[str, datetime, str, str]]]
    conflict_note: str


def generate_gateway(rng: random.Random) -> GatewayResult:
    months = {"2026-09": SEPTEMBER, "2026-10": OCTOBER}
    edge = gateway_edge_calls(rng)
    calls: dict[str, list[Call]] = {}
    agents = list(AGENTS)
    weights = [agent.gateway_weight for agent in agents]
    for month, bounds in months.items():
        month_calls: list[Call] = []
        for _ in range(GATEWAY_CALLS[month]):
            agent = rng.choices(agents, weights=weights)[0]
            nightly = agent.batch_share > 0 and rng.random() < agent.batch_share
            call = gateway_call(rng, agent, draw_time(rng, bounds, nightly=nightly))
            if nightly and (call.provider == "openai" or agent.name == "report-summarizer"):
                call.batch = True
                if call.provider == "openai":
                    call.service_tier = "default"
            if rng.random() < 0.04 and not call.batch:
                month_calls.extend(retry_chain(rng, call))
            elif rng.random() < 0.004:  # a failure nobody retried
                call.tokens, call.status, call.error_code, call.response_id = None, "failed", 500, None
                month_calls.append(call)
            else:
                month_calls.append(call)
        month_calls.extend(edge[month])
        month_calls.sort(key=lambda c: (c.arrival or c.ts, c.id))
        calls[month] = month_calls

    malformed = malformed_gateway_lines(rng)
    lines: dict[str, list[Line]] = {}
    order = 0
    for month in months:
        month_lines: list[Line] = []
        for call in calls[month]:
            record = gateway_record(call, rng)
            month_lines.append(Line(call.arrival or call.ts, order, json.dumps(record), call.id, "record"))
            order += 1
        for request_id, arrival, text, _ in malformed[month]:
            month_lines.append(Line(arrival, order, text, request_id, "malformed"))
            order += 1
        lines[month] = month_lines

    # One duplicate whose copies differ (chosen first, so no identical copy of it exists).
    conflict_call = next(call for call in calls["2026-09"]
                         if call.endpoint == CHAT and call.status == "ok" and call.tokens is not None
                         and call.ts >= datetime(2026, 9, 17, tzinfo=UTC) and not call.id.startswith("req_edge"))
    # Duplicate deliveries (~3%): the identical line again, later in the same file or in the October file.
    def plain(line: Line) -> bool:
        return line.kind == "record" and not (line.request_id or "").startswith("req_edge") \
            and line.request_id != conflict_call.id

    for month in months:
        candidates = [line for line in lines[month] if plain(line)]
        chosen = rng.sample(candidates, k=len(candidates) * 25 // 1000)
        for line in sorted(chosen, key=lambda item: item.order):
            later = line.arrival + timedelta(seconds=rng.randint(30, 6 * 3600))
            lines[month].append(Line(later, order, line.text, line.request_id, "duplicate"))
            order += 1
    late_september = [line for line in lines["2026-09"]
                      if plain(line) and line.arrival >= datetime(2026, 9, 29, tzinfo=UTC)]
    for number, line in enumerate(sorted(rng.sample(late_september, k=10), key=lambda item: item.order)):
        replay = datetime(2026, 10, 1, 0, 5, tzinfo=UTC) + timedelta(seconds=17 * number)
        lines["2026-10"].append(Line(replay, order, line.text, line.request_id, "replay"))
        order += 1
    # The conflict: the second delivery reports more completion tokens.
    original = next(line for line in lines["2026-09"] if line.request_id == conflict_call.id)
    changed = json.loads(original.text)
    usage = changed["response"]["usage"]
    before = usage["completion_tokens"]
    usage["completion_tokens"] = before + 37
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    lines["2026-09"].append(Line(original.arrival + timedelta(minutes=40), order, json.dumps(changed),
                                 conflict_call.id, "conflict"))
    conflict_note = (f"`{conflict_call.id}` (gateway-2026-09.jsonl): delivered twice; the second copy reports "
                     f"`completion_tokens` {before + 37} instead of {before} (and `total_tokens` to match)")
    for month in months:
        lines[month].sort(key=lambda line: (line.arrival, line.order))
    return GatewayResult(lines, calls, malformed, conflict_note)


# --------------------------------------------------------------------------------------------------
# Jobs export (CSV)
# --------------------------------------------------------------------------------------------------
JOBS_COLUMNS: tuple[str, ...] = (
    "job_id", "created_at", "agent", "model", "provider", "input_tokens", "cached_input_tokens", "output_tokens",
    "status", "api_key_id", "user_email", "workflow", "labels", "attempt", "retry_of",
)
# The second export: another order, Title-Case names, one extra column.
JOBS_COLUMNS_SECOND: tuple[str, ...] = (
    "created_at", "job_id", "status", "model", "provider", "agent", "input_tokens", "cached_input_tokens",
    "output_tokens", "attempt", "retry_of", "api_key_id", "user_email", "labels", "workflow", "region",
)


@dataclass
class JobRow:
    id: str
    sort_ts: datetime  # the intended UTC instant (for ordering; the text may be unparseable)
    values: dict[str, str]
    ragged_extra: str | None = None  # one field too many


def format_created_at(rng: random.Random, ts: datetime) -> str:
    """Mix `Z`, `+02:00` offsets and naive (UTC) timestamps."""
    style = weighted(rng, (("z", 2), ("plus2", 1), ("naive", 1)))
    if style == "z":
        return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "plus2":
        return ts.astimezone(PLUS_TWO).isoformat()
    return ts.strftime("%Y-%m-%dT%H:%M:%S")


def labels_text(rng: random.Random, tags: dict[str, str]) -> str:
    if not tags:
        return rng.choice(("", "{}"))
    labels = dict(tags)
    if "customer" not in labels and rng.random() < 0.3:
        labels["customer"] = ""
    return json.dumps(labels)


def job_row(rng: random.Random, agent: Agent, ts: datetime, *, job_id: str | None = None, model: str | None = None,
            tokens: Tokens | None = None, status: str = "succeeded", attempt: int = 1,
            retry_of: str | None = None, created_at: str | None = None, provider: str | None = None) -> JobRow:
    key, user = rng.choice(agent.keys)
    model = model or weighted(rng, agent.jobs_models)
    provider = provider or MODEL_PROVIDERS[model]
    if tokens is None and status == "succeeded":
        tokens = draw_tokens(rng, agent, provider, jobs=True)
    values = {
        "job_id": job_id or "job_" + hex_id(rng, 12),
        "created_at": created_at or format_created_at(rng, ts),
        "agent": agent.name or "",
        "model": model,
        "provider": provider,
        "input_tokens": str(tokens.prompt) if tokens else "",
        "cached_input_tokens": str(tokens.cache_read) if tokens else "",
        "output_tokens": str(tokens.output) if tokens else "",
        "status": status,
        "api_key_id": key,
        "user_email": user or "",
        "workflow": rng.choice(agent.workflows),
        "labels": labels_text(rng, draw_tags(rng, agent, user)),
        "attempt": str(attempt),
        "retry_of": retry_of or "",
    }
    return JobRow(values["job_id"], ts, values)


def job_retry_chain(rng: random.Random, final: JobRow, *, first_id: str | None = None,
                    attempts: int | None = None, usage_on_first: bool | None = None) -> list[JobRow]:
    """Earlier failed attempts in front of `final`; retry_of always names the first attempt."""
    attempts = attempts or (3 if rng.random() < 0.3 else 2)
    first_id = first_id or final.id
    rows: list[JobRow] = []
    gaps = [rng.randint(1, 20) for _ in range(attempts - 1)]  # minutes before the next attempt
    for number in range(1, attempts):
        values = dict(final.values)
        ts = final.sort_ts - timedelta(minutes=sum(gaps[number - 1:]))
        values["job_id"] = first_id if number == 1 else f"{first_id}_a{number}"
        values["created_at"] = format_created_at(rng, ts)
        values["status"] = "failed"
        values["attempt"] = str(number)
        values["retry_of"] = "" if number == 1 else first_id
        with_usage = usage_on_first if (usage_on_first is not None and number == 1) else rng.random() < 0.4
        if not with_usage:
            values["input_tokens"] = values["cached_input_tokens"] = values["output_tokens"] = ""
        else:  # it failed after the model had already read the prompt
            values["output_tokens"] = str(rng.randint(0, 60))
        rows.append(JobRow(values["job_id"], ts, values))
    last = dict(final.values)
    last["job_id"] = f"{first_id}_a{attempts}"
    last["attempt"] = str(attempts)
    last["retry_of"] = first_id
    rows.append(JobRow(last["job_id"], final.sort_ts, last))
    return rows


def jobs_edge_rows(rng: random.Random) -> dict[str, list[JobRow]]:
    """Deliberate edge cases of the Jobs exports: `2026-09` goes to the first file, `2026-10` to the second."""
    def at(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    def make(job_id: str, agent: str, ts: str, **kwargs: Any) -> JobRow:
        return job_row(rng, AGENT_BY_NAME[agent], at(ts), job_id=job_id, **kwargs)

    sept: list[JobRow] = []
    octo: list[JobRow] = []
    # Malformed rows: they land raw and staging rejects them.
    row = make("job_edge_tokens_12k", "ranker", "2026-09-04T09:15:00Z")
    row.values["input_tokens"] = "12k"
    sept.append(row)
    row = make("job_edge_negative_tokens", "invoice-reader", "2026-09-09T14:02:00Z")
    row.values["output_tokens"] = "-250"
    sept.append(row)
    row = make("job_edge_bad_timestamp", "code-review", "2026-09-16T12:00:00Z", created_at="2026-13-45T25:61:00")
    sept.append(row)
    row = make("job_edge_ragged", "notebook-assistant", "2026-09-21T10:30:00Z")
    row.ragged_extra = "unexpected-extra-field"
    sept.append(row)
    row = make("job_edge_absurd_tokens", "ranker", "2026-10-08T02:10:00Z")
    row.values["input_tokens"] = "1000000000000000"
    octo.append(row)
    row = make("job_edge_missing_output", "report-summarizer", "2026-10-19T08:45:00Z")
    row.values["output_tokens"] = ""
    octo.append(row)
    # Invalid labels JSON: the row is valid, its labels are ignored.
    row = make("job_edge_bad_labels_1", "ranker", "2026-09-12T09:00:00Z")
    row.values["labels"] = "{team: search"
    sept.append(row)
    row = make("job_edge_bad_labels_2", "support-writer", "2026-10-13T15:30:00Z")
    row.values["labels"] = "{'team': 'support'}"
    octo.append(row)
    # CSV tolerance: a comma and an embedded newline inside quoted values.
    row = make("job_edge_workflow_comma", "invoice-reader", "2026-09-14T11:20:00Z")
    row.values["workflow"] = "summarize, then file"
    sept.append(row)
    row = make("job_edge_workflow_newline", "support-writer", "2026-09-17T16:05:00Z")
    row.values["workflow"] = "triage\nescalation"
    sept.append(row)
    # Timestamps whose local date is in the next month but whose UTC instant is not.
    sept.append(make("job_edge_tz_month_boundary_sep", "ranker", "2026-09-30T23:30:00Z",
                     created_at="2026-10-01T01:30:00+02:00"))
    octo.append(make("job_edge_tz_month_boundary_oct", "ranker", "2026-10-31T22:30:00Z",
                     created_at="2026-11-01T00:30:00+02:00"))
    sept.append(make("job_edge_naive_month_end", "notebook-assistant", "2026-09-30T23:45:00Z",
                     created_at="2026-09-30T23:45:00"))
    # A row the second export repeats with a changed value (a conflicting duplicate).
    sept.append(make("job_edge_conflict", "report-summarizer", "2026-09-30T21:10:00Z",
                     tokens=Tokens(prompt=14_250, cache_read=4_096, output=1_405), model="gpt-5.4-mini",
                     created_at="2026-09-30T21:10:00Z"))
    # Long context.
    sept.append(make("job_edge_gpt54_lc", "code-review", "2026-09-23T03:12:00Z", model="gpt-5.4",
                     tokens=Tokens(prompt=290_000, cache_read=100_000, output=5_200)))
    octo.append(make("job_edge_sonnet45_lc", "notebook-assistant", "2026-10-22T13:40:00Z", model="claude-sonnet-4-5",
                     tokens=Tokens(prompt=230_000, cache_read=50_000, output=3_900)))
    # Blank provider: must be inferred from the model.
    for number, (agent, ts, model, month) in enumerate((
        ("ranker", "2026-09-06T02:20:00Z", "gpt-5.4-2026-03-05", sept),
        ("invoice-reader", "2026-09-26T10:10:00Z", "claude-haiku-4-5", sept),
        ("report-summarizer", "2026-10-05T09:00:00Z", "gpt-5.4-mini", octo),
        ("notebook-assistant", "2026-10-23T14:25:00Z", "claude-sonnet-4-5", octo),
    ), start=1):
        row = make(f"job_edge_blank_provider_{number}", agent, ts, model=model)
        row.values["provider"] = ""
        month.append(row)
    # The unknown model, in the Jobs export too.
    octo.append(make("job_edge_unknown_model", "notebook-assistant", "2026-10-15T11:05:00Z", model=UNKNOWN_MODEL,
                     tokens=Tokens(prompt=3_400, output=520)))
    # Named retry chains: blank usage on the failed attempt; usage reported on the first of three.
    final = make("job_edge_retry_blank", "ranker", "2026-09-18T02:40:00Z")
    sept.extend(job_retry_chain(rng, final, attempts=2, usage_on_first=False))
    final = make("job_edge_retry_usage", "code-review", "2026-10-14T10:20:00Z")
    octo.extend(job_retry_chain(rng, final, attempts=3, usage_on_first=True))
    return {"2026-09": sept, "2026-10": octo}


@dataclass
class JobsResult:
    first: list[JobRow]
    second: list[JobRow]
    overlap_ids: list[str]
    conflict_note: str


def generate_jobs(rng: random.Random) -> JobsResult:
    edge = jobs_edge_rows(rng)
    agents = [agent for agent in AGENTS if agent.jobs_weight]
    weights = [agent.jobs_weight for agent in agents]
    rows: dict[str, list[JobRow]] = {}
    for month, bounds in (("2026-09", SEPTEMBER), ("2026-10", OCTOBER)):
        month_rows: list[JobRow] = []
        for _ in range(JOBS_ROWS[month]):
            agent = rng.choices(agents, weights=weights)[0]
            ts = draw_time(rng, bounds, nightly=agent.batch_share > 0 and rng.random() < 0.5)
            row = job_row(rng, agent, ts)
            if rng.random() < 0.012:  # ~2% of jobs end up in a retry chain
                month_rows.extend(job_retry_chain(rng, row))
            elif rng.random() < 0.015:  # a failure nobody retried
                row.values["status"] = "failed"
                if rng.random() < 0.7:
                    row.values["input_tokens"] = row.values["cached_input_tokens"] = row.values["output_tokens"] = ""
                month_rows.append(row)
            else:
                month_rows.append(row)
        month_rows.extend(edge[month])
        month_rows.sort(key=lambda r: (r.sort_ts, r.id))
        rows[month] = month_rows

    first = rows["2026-09"]
    # The second export starts JOBS_OVERLAP_ROWS rows before the end of the first: those rows appear in both.
    overlap = first[-JOBS_OVERLAP_ROWS:]
    assert all(r.ragged_extra is None and not r.id.startswith(("job_edge_tokens", "job_edge_negative",
                                                                  "job_edge_bad_timestamp")) for r in overlap)
    second: list[JobRow] = []
    conflict_note = ""
    for row in overlap:
        values = dict(row.values)
        if row.id == "job_edge_conflict":
            values["output_tokens"] = "1450"
            conflict_note = ("`job_edge_conflict`: in both Jobs exports; `output_tokens` is 1405 in "
                             "jobs-export-2026-09.csv and 1450 in jobs-export-2026-10.csv")
        second.append(JobRow(row.id, row.sort_ts, values))
    assert conflict_note, "job_edge_conflict must fall inside the overlap"
    second.extend(rows["2026-10"])
    for row in second:
        row.values.setdefault("region", rng.choice((*REGIONS, "")))
    return JobsResult(first, second, [row.id for row in overlap], conflict_note)


def jobs_csv(rows: list[JobRow], columns: Sequence[str], *, title_case: bool, crlf: bool) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    writer.writerow([column.title() if title_case else column for column in columns])
    for row in rows:
        fields = [row.values[column] for column in columns]
        if row.ragged_extra is not None:
            fields.append(row.ragged_extra)
        writer.writerow(fields)
    return buffer.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------
def gzip_bytes(data: bytes) -> bytes:
    """Reproducible gzip: mtime 0 and no file name in the header."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as handle:
        handle.write(data)
    return buffer.getvalue()


def jsonl_bytes(lines: list[Line]) -> bytes:
    return "".join(line.text + "\n" for line in lines).encode("utf-8")


def generate(seed: int) -> dict[str, bytes]:
    """File name -> exact bytes of every sample file."""
    rng = random.Random(seed)
    gateway = generate_gateway(rng)
    jobs = generate_jobs(rng)
    first_csv = b"\xef\xbb\xbf" + jobs_csv(jobs.first, JOBS_COLUMNS, title_case=False, crlf=True) + b"\r\n\r\n"
    second_csv = jobs_csv(jobs.second, JOBS_COLUMNS_SECOND, title_case=True, crlf=False)
    files = {
        "jobs-export-2026-09.csv": first_csv,
        "jobs-export-2026-10.csv": second_csv,
        "gateway-2026-09.jsonl": jsonl_bytes(gateway.lines["2026-09"]),
        "gateway-2026-10.jsonl.gz": gzip_bytes(jsonl_bytes(gateway.lines["2026-10"])),
    }
    files["README.md"] = readme(seed, gateway, jobs, files).encode("utf-8")
    return files


def write(out: Path, files: dict[str, bytes]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)


# --------------------------------------------------------------------------------------------------
# README (generated, so the ids it lists always match the data)
# --------------------------------------------------------------------------------------------------
def ids(items: Sequence[str]) -> str:
    return ", ".join(f"`{item}`" for item in items) if items else "(none)"


def readme(seed: int, gateway: GatewayResult, jobs: JobsResult, files: dict[str, bytes]) -> str:
    gw_files = {"2026-09": "gateway-2026-09.jsonl", "2026-10": "gateway-2026-10.jsonl.gz"}
    all_calls = [(month, call) for month in ("2026-09", "2026-10") for call in gateway.calls[month]]
    record_lines = {month: [line for line in gateway.lines[month] if line.kind == "record"] for month in gw_files}
    dup_lines = {month: [line for line in gateway.lines[month] if line.kind in ("duplicate", "replay", "conflict")]
                 for month in gw_files}
    malformed_lines = {month: [line for line in gateway.lines[month] if line.kind == "malformed"] for month in gw_files}

    def line_number(month: str, request_id: str, kind: str = "malformed") -> int:
        for number, line in enumerate(gateway.lines[month], start=1):
            if line.request_id == request_id and line.kind == kind:
                return number
        raise KeyError(request_id)

    def gw(month: str, predicate: Any) -> list[str]:
        return [call.id for m, call in all_calls if m == month and predicate(call)]

    def gw_both(predicate: Any) -> str:
        return "; ".join(f"{gw_files[m]}: {ids(gw(m, predicate))}" for m in gw_files)

    growth_gw = gw_both(lambda c: c.tags.get("team") == UNKNOWN_TEAM)
    untagged = sum(1 for _, c in all_calls if "team" not in c.tags)
    no_headers = sum(1 for _, c in all_calls if c.header_style == "none")
    chains = [(m, c) for m, c in all_calls if c.attempt > 1 and c.status == "ok"]
    three = [c.retry_of or "" for _, c in chains if c.attempt == 3]
    standalone_failed = gw_both(lambda c: c.status == "failed" and c.attempt == 1 and not any(
        other.retry_of == c.id for _, other in all_calls))
    batch_before = sum(1 for _, c in all_calls if c.batch and c.ts < BATCH_PRICE_START)
    batch_after = sum(1 for _, c in all_calls if c.batch and c.ts >= BATCH_PRICE_START)
    flex = sum(1 for _, c in all_calls if c.service_tier == "flex")
    priority = sum(1 for _, c in all_calls if c.service_tier == "priority")
    no_tier = gw_both(lambda c: c.provider == "openai" and c.service_tier is None and c.tokens is not None)
    no_resp_id = sum(1 for _, c in all_calls if c.tokens is not None and c.response_id is None)

    job_rows = {"jobs-export-2026-09.csv": jobs.first, "jobs-export-2026-10.csv": jobs.second}
    overlap = set(jobs.overlap_ids)
    unique_jobs = {row.id: row for rows in job_rows.values() for row in rows}
    jobs_growth = "; ".join(
        f"{name}: {ids([r.id for r in rows if json_team(r.values['labels']) == UNKNOWN_TEAM])}"
        for name, rows in job_rows.items()
    )
    jobs_untagged = sum(1 for r in unique_jobs.values() if json_team(r.values["labels"]) is None)
    job_chain_firsts = sorted({r.values["retry_of"] for r in unique_jobs.values() if r.values["retry_of"]})

    def gzip_size() -> str:
        return f"{len(files['gateway-2026-10.jsonl.gz']):,} bytes compressed"

    def lines_of(name: str) -> int:
        return len(gateway.lines["2026-09" if name.endswith("09.jsonl") else "2026-10"])

    total_gateway_records = sum(len(record_lines[m]) for m in gw_files)
    lines = [
        "# Sample data",
        "",
        "Two months (2026-09 and 2026-10, UTC) of invented AI usage for a small company, in both input formats.",
        "**Generated — do not edit by hand.** Regenerate with",
        "",
        "```sh",
        f"python tools/generate_sample.py --seed {seed} --out data/sample",
        "```",
        "",
        "The output is byte-identical for the same seed (`tests/python/test_sample_generator.py` checks this and",
        "that the committed files equal a fresh generation). This README is generated too, so every id below",
        "exists in the data.",
        "",
        "## Files",
        "",
        "| file | format | contents |",
        "|---|---|---|",
        f"| `jobs-export-2026-09.csv` | Jobs export CSV | {len(jobs.first)} rows, 2026-09 (UTF-8 BOM, CRLF, "
        "lowercase header in the documented order, two empty trailing lines) |",
        f"| `jobs-export-2026-10.csv` | Jobs export CSV | {len(jobs.second)} rows: the last "
        f"{JOBS_OVERLAP_ROWS} rows of the September export again, then 2026-10 (Title-Case header, another "
        "column order, extra `Region` column, LF, no BOM) |",
        f"| `gateway-2026-09.jsonl` | gateway JSON Lines | {lines_of('09.jsonl')} lines: "
        f"{len(record_lines['2026-09'])} records, {len(dup_lines['2026-09'])} duplicate deliveries, "
        f"{len(malformed_lines['2026-09'])} malformed lines |",
        f"| `gateway-2026-10.jsonl.gz` | gateway JSON Lines, gzip | {lines_of('10.jsonl')} lines: "
        f"{len(record_lines['2026-10'])} records, {len(dup_lines['2026-10'])} duplicate deliveries, "
        f"{len(malformed_lines['2026-10'])} malformed lines ({gzip_size()}) |",
        "",
        f"Distinct usage records: {total_gateway_records} gateway requests, {len(unique_jobs)} jobs.",
        "",
        "## Organisation",
        "",
        "| team | project | team API keys | user |",
        "|---|---|---|---|",
    ]
    for team in TEAMS:
        keys = ", ".join(f"`{key}`" for key, owner in TEAM_KEYS.items() if owner == team)
        users = ", ".join(f"`{user}` (`{next(k for k, u in PERSONAL_KEYS.items() if u == user)}`)"
                          for user, home in USERS.items() if home == team)
        lines.append(f"| `{team}` | `{PROJECTS[team]}` | {keys} | {users} |")
    lines += [
        "",
        f"Keys with no single owner: `{SHARED_KEY}` (report-summarizer, used by bob, dan and erin) and `{ORPHAN_KEY}`",
        "(mystery-agent, no user). Environments: `prod`, `staging`, `dev`. Customers: `acme`, `globex`, `initech` or",
        f"none. A few events carry the unknown team tag `{UNKNOWN_TEAM}`.",
        "",
        "| agent | owning team | keys (user) | models |",
        "|---|---|---|---|",
    ]
    for agent in AGENTS:
        name = f"`{agent.name}`" if agent.name else "(none: ad-hoc, personal keys)"
        if agent.name is None:
            owner = "none: the key's / user's team"
        elif agent.team:
            owner = f"`{agent.team}`"
        else:
            owner = "shared: tags the user's team" if agent.tag_with_user_team else "nobody"
        keys = ", ".join(dict.fromkeys(f"`{key}`" + (f" ({user.split('@')[0]})" if user else "")
                                       for key, user in agent.keys))
        models = ", ".join(dict.fromkeys(f"`{m}`" for m, _ in agent.models + agent.jobs_models))
        lines.append(f"| {name} | {owner} | {keys} | {models} |")
    lines += [
        "",
        "`report-summarizer` is shared (support, data-science, finance) and about half of its events have no team tag;",
        "`mystery-agent` has no owner anywhere (no tag, orphan key, no user): its spend cannot be attributed.",
        "",
        "## Models",
        "",
        "| model string | provider | notes |",
        "|---|---|---|",
        "| `gpt-5.4` | openai | long-context rates above 272,000 total input tokens; flex / priority from "
        "2026-10-12; batch price from 2026-10-14 |",
        "| `gpt-5.4-2026-03-05` | openai | dated alias of `gpt-5.4` |",
        "| `gpt-5.4-mini` | openai | |",
        "| `claude-sonnet-4-20250514` | anthropic | |",
        "| `claude-sonnet-4-5` | anthropic | long-context rates above 200,000 total input tokens (cache included) |",
        "| `claude-haiku-4-5` | anthropic | |",
        f"| `{UNKNOWN_MODEL}` | openai | **unknown model**: in no price catalog, must stay unpriced |",
        "",
        "## Formats",
        "",
        "**Jobs export** columns: " + ", ".join(f"`{c}`" for c in JOBS_COLUMNS) + ". `input_tokens` includes",
        "`cached_input_tokens` (OpenAI convention, Anthropic rows too). `labels` is JSON text with optional",
        "`team` / `project` / `environment` / `customer`. `created_at` mixes `Z`, `+02:00` and naive (= UTC).",
        "`status` is `succeeded` or `failed`; failed jobs often have blank token counts. `attempt` counts from 1",
        "and `retry_of` names the job_id of the first attempt.",
        "",
        "**Gateway log**: one object per line with `request_id`, `timestamp` (UTC `Z`), `provider`, `endpoint`,",
        "`status_code`, `latency_ms`, `api_key_id`, `user`, `agent`, `attempt`, `retry_of`, `batch`, `headers`",
        "(`x-team`, `x-project`, `x-environment`, `x-customer` in varying case, sometimes absent), `response`",
        "(with the provider's native `usage`) and, for failures, `error`. Usage shapes: OpenAI Chat Completions",
        "(`/v1/chat/completions`: `prompt_tokens` incl. `prompt_tokens_details.cached_tokens`, `completion_tokens`",
        "incl. `completion_tokens_details.reasoning_tokens`), OpenAI Responses (`/v1/responses`: `input_tokens`",
        "incl. `input_tokens_details.cached_tokens`, `output_tokens` incl. `output_tokens_details.reasoning_tokens`),",
        "Anthropic Messages (`/v1/messages`: `input_tokens` **excluding** `cache_read_input_tokens` and",
        "`cache_creation_input_tokens`, optional `cache_creation.{ephemeral_5m_input_tokens,ephemeral_1h_input_tokens}`,",
        "`service_tier` inside `usage`). Some records carry extra fields (`region`, `trace_id`, `gateway`,",
        "`headers.user-agent`, provider fields such as `object`, `created`, `stop_reason`): keep them raw.",
        "",
        "## Deliberate edge cases",
        "",
        "### Gateway: malformed lines (land raw, rejected by staging)",
        "",
        "| file | line | id | what |",
        "|---|---|---|---|",
    ]
    for month in gw_files:
        for request_id, _, _, description in gateway.malformed[month]:
            lines.append(f"| `{gw_files[month]}` | {line_number(month, request_id)} | `{request_id}` | {description} |")
    lines += [
        "",
        "### Gateway: valid records with something to get right",
        "",
        "| file | id | what |",
        "|---|---|---|",
    ]
    edge_notes = {
        "req_edge_gpt54_lc_boundary": "gpt-5.4, exactly 272,000 input tokens: **not** above the tier (base rates)",
        "req_edge_gpt54_lc_above": "gpt-5.4 dated alias, 272,001 input tokens: long-context rates",
        "req_edge_gpt54_lc_cached": "gpt-5.4 chat, 300,000 prompt tokens of which 180,096 cached (uncached part "
                                    "below 272,000): long-context rates",
        "req_edge_sonnet45_lc_above": "claude-sonnet-4-5, 210,000 uncached input tokens: long-context rates",
        "req_edge_sonnet45_lc_cache": "claude-sonnet-4-5, input 30,000 + cache read 160,000 + cache write 15,000 "
                                      "(5m 10,000 / 1h 5,000) = 205,000: above the tier only when cache counts",
        "req_edge_sonnet45_lc_boundary": "claude-sonnet-4-5, input 20,000 + cache read 180,000 = exactly 200,000: "
                                         "**not** above the tier",
        "req_edge_batch_before": "gpt-5.4 `batch: true` at 2026-10-13T23:59:59Z, one second before the batch price",
        "req_edge_batch_on": "gpt-5.4 `batch: true` at 2026-10-14T00:00:00Z, the first second of the batch price "
                             "(same usage as `req_edge_batch_before`)",
        "req_edge_flex_first_day": "gpt-5.4-mini `service_tier: flex` at 2026-10-12T00:00:05Z, first day of the flex "
                                   "price",
        "req_edge_failed_usage_openai": "status 500 **with usage** (billed), retried by "
                                        "`req_edge_failed_usage_openai_retry` (attempt 2)",
        "req_edge_failed_usage_anthropic": "status 500 **with usage** (billed), retried by "
                                           "`req_edge_failed_usage_anthropic_retry` (attempt 2)",
        "req_edge_last_second_sept": "2026-09-30T23:59:59Z: September",
        "req_edge_first_second_oct": "2026-10-01T00:00:00Z: October",
        "req_edge_late_arrival": "timestamp 2026-09-30T23:58:30Z but only in the October file: counts in September",
        "req_edge_mixed_case_headers": "one headers object mixing `X-Team`, `x-project`, `X-ENVIRONMENT`",
        "req_edge_team_key_only": "untagged, no agent, team key `team.platform.ci`: attributed by the key",
        "req_edge_team_key_only_oct": "untagged, no agent, team key `team.platform.ci`: attributed by the key",
        "req_edge_shared_login": "`search-bot` run under carol's personal key `pk.carol` (carol's own agent is "
                                 "platform's): a shared login",
        "req_edge_owner_change_before": "untagged `infra-oncall` on 2026-10-14: owned by platform",
        "req_edge_owner_change_after": "untagged `infra-oncall` on 2026-10-16: owned by search from 2026-10-15",
        "req_edge_person_moved_before": "untagged ad-hoc use of `pk.carol` on 2026-10-19: carol is in platform",
        "req_edge_person_moved_after": "untagged ad-hoc use of `pk.carol` on 2026-10-21: carol is in search from 2026-10-20",
        "req_edge_merged_team_tag": "tag `growth-labs`, a team merged into search on 2026-10-01: counts for growth-labs",
    }
    for month in gw_files:
        for call in gateway.calls[month]:
            if call.id in edge_notes:
                lines.append(f"| `{gw_files[month]}` | `{call.id}` | {edge_notes[call.id]} |")
        unknown = [c.id for c in gateway.calls[month] if c.model == UNKNOWN_MODEL]
        lines.append(f"| `{gw_files[month]}` | {ids(unknown)} | unknown model `{UNKNOWN_MODEL}` (provider openai): "
                     "unpriced |")
    lines += [
        "",
        "### Gateway: duplicates, retries and tags",
        "",
        f"- Conflicting duplicate: {gateway.conflict_note}.",
        "- Identical duplicate deliveries (the same line again, later in the same file):",
        f"  {gw_files['2026-09']}: {ids(sorted(l.request_id or '' for l in dup_lines['2026-09'] if l.kind == 'duplicate'))};",
        f"  {gw_files['2026-10']}: "
        f"{ids(sorted(l.request_id or '' for l in dup_lines['2026-10'] if l.kind == 'duplicate'))}.",
        "- Cross-file duplicates (September records delivered again at the top of the October file): "
        f"{ids(sorted(l.request_id or '' for l in dup_lines['2026-10'] if l.kind == 'replay'))}.",
        f"- Retry chains: {len(chains)} (failed attempts are 429/500 with an `error` object and no `response`;",
        "  `retry_of` of every later attempt is the first attempt's `request_id`). Three-attempt chains (first ids): "
        f"{ids(sorted(three))}.",
        f"- Failures nobody retried: {standalone_failed}.",
        f"- `batch: true`: {batch_before} records before 2026-10-14 and {batch_after} from 2026-10-14 on.",
        f"- `response.service_tier`: {flex} `flex` and {priority} `priority` (all from 2026-10-12 on), the rest",
        f"  `default`; OpenAI records with no `service_tier` field (means default): {no_tier}.",
        f"- Untagged (no team header): {untagged} records, {no_headers} of them with no `headers` object at all.",
        f"- Unknown team tag `{UNKNOWN_TEAM}`: {growth_gw}.",
        f"- {no_resp_id} successful records have no `response.id`.",
        "",
        "### Jobs exports",
        "",
        "| file | id | what |",
        "|---|---|---|",
    ]
    job_notes = {
        "job_edge_tokens_12k": "malformed: `input_tokens` is `12k`",
        "job_edge_negative_tokens": "malformed: `output_tokens` is `-250`",
        "job_edge_bad_timestamp": "malformed: `created_at` is `2026-13-45T25:61:00`",
        "job_edge_ragged": "malformed: one field too many (ragged row)",
        "job_edge_absurd_tokens": "malformed: `input_tokens` is `1000000000000000`",
        "job_edge_missing_output": "malformed: `succeeded` with blank `output_tokens` (usage missing)",
        "job_edge_bad_labels_1": "valid row, invalid labels JSON `{team: search` (labels ignored)",
        "job_edge_bad_labels_2": "valid row, invalid labels JSON `{'team': 'support'}` (labels ignored)",
        "job_edge_workflow_comma": "`workflow` contains a comma (`summarize, then file`)",
        "job_edge_workflow_newline": "`workflow` contains an embedded newline (`triage` / `escalation`)",
        "job_edge_tz_month_boundary_sep": "`2026-10-01T01:30:00+02:00` = 2026-09-30T23:30Z: September",
        "job_edge_tz_month_boundary_oct": "`2026-11-01T00:30:00+02:00` = 2026-10-31T22:30Z: October",
        "job_edge_naive_month_end": "naive `2026-09-30T23:45:00` (UTC): September",
        "job_edge_conflict": "conflicting duplicate, see below",
        "job_edge_gpt54_lc": "gpt-5.4, 290,000 input tokens (100,000 cached): long-context rates",
        "job_edge_sonnet45_lc": "claude-sonnet-4-5, 230,000 input tokens (50,000 cached): long-context rates",
        "job_edge_unknown_model": f"unknown model `{UNKNOWN_MODEL}`: unpriced",
        "job_edge_retry_blank": "retry chain: attempt 1 failed with blank usage, attempt 2 "
                                "(`job_edge_retry_blank_a2`) succeeded",
        "job_edge_retry_usage": "retry chain of 3: attempt 1 failed **with usage**, attempt 2 "
                                "(`job_edge_retry_usage_a2`) failed, attempt 3 (`job_edge_retry_usage_a3`) succeeded",
    }
    for name, rows in job_rows.items():
        for row in rows:
            if name.endswith("09-10.csv") and row.id in overlap:
                continue
            note = job_notes.get(row.id)
            if note is None and row.id.startswith("job_edge_blank_provider"):
                note = f"blank `provider` (model `{row.values['model']}`): infer it from the model"
            if note:
                lines.append(f"| `{name}` | `{row.id}` | {note} |")
    lines += [
        "",
        f"- Overlapping exports: the last {JOBS_OVERLAP_ROWS} rows of `jobs-export-2026-09.csv` are repeated at the "
        "top of `jobs-export-2026-10.csv` with identical values (only the column order and `Region` differ):",
        f"  {ids(jobs.overlap_ids)}.",
        f"- Conflicting duplicate: {jobs.conflict_note}.",
        f"- Retry chains (first job ids; later attempts are `<id>_a2`, `<id>_a3`): {ids(job_chain_firsts)}.",
        f"- Unknown team tag `{UNKNOWN_TEAM}`: {jobs_growth}.",
        f"- Jobs with no team label (blank, `{{}}`, invalid JSON or no `team` key): {jobs_untagged}.",
        "- `jobs-export-2026-09.csv` tolerance: UTF-8 BOM, CRLF line endings, quoted comma and newline in `workflow`,",
        "  a non-ASCII `workflow` (`monatsbericht-übersicht`), two empty lines at the end.",
        "",
    ]
    return "\n".join(lines)


def json_team(text: str) -> str | None:
    try:
        labels = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return None
    team = labels.get("team") if isinstance(labels, dict) else None
    return team or None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default data/sample)")
    args = parser.parse_args(argv)
    files = generate(args.seed)
    write(args.out, files)
    for name, data in files.items():
        print(f"{args.out / name}: {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
