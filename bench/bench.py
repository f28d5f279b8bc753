#!/usr/bin/env python3
"""The benchmark: ingest, dbt build / run and an incremental day, against two honest baselines.

    python bench/bench.py [--size 1M --size 10M] [--budget-minutes M] [--work bench/work]
                            [--results bench/RESULTS.md] [--keep] [--quick] [--spark-size 1M | --no-spark]
    python bench/bench.py baseline floor|pandas DB OUT      (internal: one baseline in its own process)

For each size (20k, 1M, 10M, 50M, ...: an integer with an optional k / M suffix) it generates three months of
events (tools/generate_events.py from 2026-09-01, so that discounts, shared-rule changes and an owner
change fall inside) and times, each step a subprocess under GNU time (`/usr/bin/time -v`: peak RSS) in this
process tree: the ingest of the gateway JSONL files and of the Jobs CSV files; the two baselines on the
landed data and the seeds (the floor: ONE hand-written DuckDB query; pandas as an analyst would write it);
`dbt build --full-refresh --exclude-resource-type unit_test` (models and data tests, as `tokenledger build
--scheduled` runs them: the month facts' tests on the months the build rebuilt, here all; the unit tests run in CI); `dbt run --full-refresh` (models alone); then one more day (--only-day), ingested, and a
plain scheduled build; a build with nothing new (the no-op: dbt's fixed cost of parsing and visiting every
node); and an org edit (the appended day's busiest agent changes owner from that day on, in the size's copy
of the sample's organisation folder) followed by a scheduled build. Then, for sizes up to --spark-size (default 1M; --no-spark: never), the same project on
Apache Spark (the `spark` target: dbt-spark, session method, local mode, TOKENLEDGER_SPARK_MASTER local[2] and
TOKENLEDGER_SPARK_DRIVER_MEMORY 4g unless set): the same files ingested into a Parquet lake (`ingest --target
spark`; lake, Spark warehouse and Derby metastore under the size's directory), the seeds loaded (untimed), and
the models-alone step on Spark (`dbt run --full-refresh --target spark`; with --quick the quick build's
selection), each timed like the DuckDB steps (peak RSS: the largest of GNU time's figure and the sum over the
step's process tree sampled every second, the JVM included) with the ratio to DuckDB's same step. Spark's
marts.fct_team_monthly_spend, read from its Parquet files with DuckDB, must equal DuckDB's (as of its models-alone
step, before the appended day) or the bench exits 1. Both baselines must equal the marts' per-team monthly
totals (marts.fct_team_monthly_spend: every (month, team), cost_usd exactly, cost_cents) or the bench exits
1; the floor is compared again after the incremental build and after the org edit. Results go to RESULTS.md (figures, ratios,
targets; the hand-written analysis below its marker line is kept) and <work>/results.json after every step,
and the size's data and warehouse are deleted at the end (--keep keeps them). RESULTS.md is rewritten
from the sizes run; a size of the existing file not run this time is kept as it was, marked with its run's date. --budget-minutes stops a
size's run at that wall time (the running step is killed: its time is then a lower bound). --quick (for
the test): only the models the monthly totals need, no data tests, no incremental step.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, getcontext
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import duckdb

from tokenledger.common import PROJECT_ROOT, SAMPLE_ORG, connect

PYTHON = sys.executable
TOOLS = PROJECT_ROOT / "tools"
CLI = [sys.executable, "-m", "tokenledger"]
START = date(2026, 9, 1)  # price overrides, shared-rule method changes and an owner change fall in the range
MONTHS = 3
SEED = 1
NEXT_DAY = date(2026, 12, 1)  # the incremental day: the day after the range
ANALYSIS_MARKER = "<!-- hand-written analysis below this line: kept by bench/bench.py -->"
Row = tuple[date, str, Decimal, int]  # month, team_id, cost_usd, cost_cents

# ------------------------------------------------------------------------------------------------
# Baseline (a): the floor. ONE hand-written query over the raw landed tables and the seeds, with the
# marts' semantics: dedupe, retry collapse, genai-prices pricing (resolution, price sets, variants,
# tiers), negotiated discounts, the as-of attribution spine, shared-agent splits, largest-remainder cents.
# Same exact decimal arithmetic as the models (decimal(38, 24), DuckDB's half-away-from-zero downcasts).
# ------------------------------------------------------------------------------------------------
FLOOR_SQL = r"""
with

gateway_parsed as (
    select load_id, line_number as pos, json_transform(raw_line, '{
        "request_id": "VARCHAR", "retry_of": "VARCHAR", "attempt": "VARCHAR", "timestamp": "VARCHAR",
        "provider": "VARCHAR", "endpoint": "VARCHAR", "status_code": "VARCHAR", "error": "JSON",
        "api_key_id": "VARCHAR", "user": "VARCHAR", "agent": "VARCHAR", "batch": "VARCHAR", "headers": "JSON",
        "response": {"model": "VARCHAR", "service_tier": "VARCHAR", "usage": {
            "service_tier": "VARCHAR", "prompt_tokens": "BIGINT", "completion_tokens": "BIGINT",
            "prompt_tokens_details": {"cached_tokens": "BIGINT", "cache_write_tokens": "BIGINT", "audio_tokens": "BIGINT"},
            "completion_tokens_details": {"reasoning_tokens": "BIGINT", "audio_tokens": "BIGINT"},
            "input_tokens": "BIGINT", "output_tokens": "BIGINT",
            "input_tokens_details": {"cached_tokens": "BIGINT", "cache_write_tokens": "BIGINT"},
            "output_tokens_details": {"reasoning_tokens": "BIGINT", "thinking_tokens": "BIGINT"},
            "cache_read_input_tokens": "BIGINT", "cache_creation_input_tokens": "BIGINT",
            "cache_creation": {"ephemeral_5m_input_tokens": "BIGINT", "ephemeral_1h_input_tokens": "BIGINT"},
            "server_tool_use": {"web_search_requests": "BIGINT"}}}}') as r
    from raw.gateway_requests
),

gateway_usage as (
    select *, r.response.usage as u from gateway_parsed
),

gateway_shaped as (
    select *,
        case
            when u is null then null
            when u.prompt_tokens is not null or u.completion_tokens is not null then 'chat'
            when lower(trim(r.provider)) = 'anthropic' or u.cache_creation_input_tokens is not null
                or u.cache_read_input_tokens is not null or r.endpoint like '%/messages' then 'anthropic'
            when u.input_tokens is not null or u.output_tokens is not null then 'responses'
        end as shape,
        coalesce(try_cast(r.status_code as integer) >= 400, false)
            or coalesce(json_type(r.error), 'NULL') <> 'NULL' as is_failed
    from gateway_usage
),

gateway_counts as (
    select *,
        case shape when 'chat' then u.prompt_tokens else u.input_tokens end as t_input,
        case shape when 'chat' then u.completion_tokens else u.output_tokens end as t_output,
        case shape when 'chat' then u.prompt_tokens_details.cached_tokens
            when 'responses' then u.input_tokens_details.cached_tokens else u.cache_read_input_tokens end as t_cache_read,
        case shape when 'chat' then u.prompt_tokens_details.cache_write_tokens
            when 'responses' then u.input_tokens_details.cache_write_tokens else u.cache_creation_input_tokens end as t_cache_write,
        case shape when 'chat' then u.completion_tokens_details.reasoning_tokens
            when 'responses' then u.output_tokens_details.reasoning_tokens else u.output_tokens_details.thinking_tokens end
            as t_reasoning
    from gateway_shaped
),

gateway_attempts as (
    select 'gateway' as source, load_id, pos,
        nullif(trim(r.request_id), '') as attempt_id,
        nullif(trim(r.retry_of), '') as retry_of,
        try_cast(r.attempt as integer) as attempt_number,
        cast(cast(trim(r.timestamp) as timestamptz) as timestamp) as occurred_at,
        lower(nullif(trim(r.provider), '')) as provider_hint,
        nullif(trim(r.response.model), '') as model_requested,
        coalesce(lower(r.batch) in ('true', '1'), false) as is_batch,
        coalesce(nullif(trim(r.response.service_tier), ''), nullif(trim(u.service_tier), '')) as service_tier,
        lower(nullif(trim(r.agent), '')) as agent_id,
        lower(nullif(trim(r.api_key_id), '')) as key_id,
        lower(nullif(trim(r.user), '')) as user_email,
        -- header names are case-insensitive; the team id is compared lower-cased anyway
        case when json_type(r.headers) = 'OBJECT' then nullif(trim(lower(r.headers) ->> '$."x-team"'), '') end
            as tag_team_id,
        shape is not null and case when is_failed then t_input is not null or t_output is not null
            else t_input is not null and t_output is not null end as has_usage,
        coalesce(case when u.cache_creation_input_tokens is null and shape = 'anthropic'
                    and (u.cache_creation.ephemeral_5m_input_tokens is not null
                         or u.cache_creation.ephemeral_1h_input_tokens is not null)
                then coalesce(u.cache_creation.ephemeral_5m_input_tokens, 0)
                     + coalesce(u.cache_creation.ephemeral_1h_input_tokens, 0)
                else t_cache_write end, 0) as cw_total,
        case when shape = 'anthropic' then coalesce(u.cache_creation.ephemeral_1h_input_tokens, 0) else 0 end as cw_1h,
        coalesce(t_input, 0) as n_input, coalesce(t_cache_read, 0) as n_cache_read,
        coalesce(t_output, 0) as n_output, coalesce(t_reasoning, 0) as n_reasoning,
        case when shape = 'chat' then coalesce(u.prompt_tokens_details.audio_tokens, 0) else 0 end as n_input_audio,
        case when shape = 'chat' then coalesce(u.completion_tokens_details.audio_tokens, 0) else 0 end as n_output_audio,
        case when shape = 'anthropic' then coalesce(u.server_tool_use.web_search_requests, 0) else 0 end as n_web_searches,
        shape
    from gateway_counts
),

gateway_final as (
    select source, load_id, pos, attempt_id, retry_of, attempt_number, occurred_at, provider_hint, model_requested,
        is_batch, service_tier, agent_id, key_id, user_email, tag_team_id, has_usage,
        case when not has_usage then 0 when shape = 'anthropic' then n_input else n_input - n_cache_read - cw_total end
            as uncached_input_tokens,
        case when has_usage then n_cache_read else 0 end as cache_read_tokens,
        case when has_usage then cw_total - cw_1h else 0 end as cache_write_5m_tokens,
        case when has_usage then cw_1h else 0 end as cache_write_1h_tokens,
        case when has_usage then n_output else 0 end as output_tokens,
        case when has_usage then n_reasoning else 0 end as reasoning_tokens,
        case when has_usage then n_input_audio else 0 end as input_audio_tokens,
        case when has_usage then n_output_audio else 0 end as output_audio_tokens,
        case when has_usage then n_web_searches else 0 end as web_search_requests
    from gateway_attempts
),

jobs_typed as (
    select load_id, row_number as pos,
        nullif(trim(job_id), '') as attempt_id,
        nullif(trim(retry_of), '') as retry_of,
        try_cast(nullif(trim(attempt), '') as integer) as attempt_number,
        cast(cast(trim(created_at) as timestamptz) as timestamp) as occurred_at,
        lower(nullif(trim(provider), '')) as provider_hint,
        nullif(trim(model), '') as model_requested,
        lower(nullif(trim(agent), '')) as agent_id,
        lower(nullif(trim(api_key_id), '')) as key_id,
        lower(nullif(trim(user_email), '')) as user_email,
        case when json_type(try_cast(nullif(trim(labels), '') as json)) = 'OBJECT'
            then lower(nullif(trim(try_cast(nullif(trim(labels), '') as json) ->> '$.team'), '')) end as tag_team_id,
        try_cast(nullif(trim(input_tokens), '') as bigint) as t_input,
        try_cast(nullif(trim(cached_input_tokens), '') as bigint) as t_cached,
        try_cast(nullif(trim(output_tokens), '') as bigint) as t_output,
        coalesce(lower(nullif(trim(status), '')) in (
            'failed', 'failure', 'error', 'errored', 'cancelled', 'canceled', 'timeout', 'timed_out', 'rejected'), false)
            as is_failed
    from raw.jobs_export
),

jobs_final as (
    select 'jobs' as source, load_id, pos, attempt_id, retry_of, attempt_number, occurred_at, provider_hint,
        model_requested, false as is_batch, null::varchar as service_tier, agent_id, key_id, user_email, tag_team_id,
        has_usage,
        case when has_usage then coalesce(t_input, 0) - coalesce(t_cached, 0) else 0 end as uncached_input_tokens,
        case when has_usage then coalesce(t_cached, 0) else 0 end as cache_read_tokens,
        0::bigint as cache_write_5m_tokens, 0::bigint as cache_write_1h_tokens,
        case when has_usage then coalesce(t_output, 0) else 0 end as output_tokens,
        0::bigint as reasoning_tokens, 0::bigint as input_audio_tokens, 0::bigint as output_audio_tokens,
        0::bigint as web_search_requests
    from (
        select *, case when is_failed then t_input is not null or t_output is not null
            else t_input is not null and t_output is not null end as has_usage
        from jobs_typed
    )
),

-- dedupe: per source and id, the copy from the latest load wins (within a load, the later line)
attempts as (
    select *, coalesce(retry_of, attempt_id) as event_id,
        uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens as input_tokens
    from (select * from gateway_final union all by name select * from jobs_final)
    -- (load_id, pos) as one bigint key: a file has fewer than 2^32 lines
    qualify load_id * 4294967296 + pos = max(load_id * 4294967296 + pos) over (partition by source, attempt_id)
),

-- model references -> the price catalog (genai-prices: provider given or inferred, first matching rule in
-- catalog order, then the provider's fallback providers, then with a compact date rewritten)
refs as (
    select distinct provider_hint, model_requested, lower(trim(model_requested)) as model_ref
    from attempts where model_requested is not null
),

ref_texts as (
    select distinct model_ref, 1 as pass, model_ref as match_text from refs
    union all
    select distinct model_ref, 2 as pass,
        regexp_replace(model_ref, '-(20[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(-|:|$)', '-\1-\2-\3\4')
    from refs
    where try_cast(regexp_replace(model_ref, '^.*?-(20[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(-|:|$).*$',
        '\1-\2-\3') as date) is not null
),

texts as (
    select match_text as t from ref_texts
    union
    select provider_hint from refs where provider_hint is not null
),

rule_hits as (
    select texts.t, c.rule_scope, c.provider_id, c.model_id, c.rule_order
    from texts cross join seeds.price_match_clauses as c
    group by texts.t, c.rule_scope, c.provider_id, c.model_id, c.rule_order, c.conjunction_id
    having bool_and(case c.clause_type
        when 'equals' then texts.t = c.clause_value
        when 'starts_with' then starts_with(texts.t, c.clause_value)
        when 'ends_with' then ends_with(texts.t, c.clause_value)
        when 'contains' then contains(texts.t, c.clause_value)
        when 'regex' then regexp_matches(texts.t, c.clause_value)
        when 'not_regex' then not regexp_matches(texts.t, c.clause_value)
        else false end)
),

ref_providers as (
    select refs.*,
        case when refs.provider_hint is null
            then (select arg_min(h.provider_id, h.rule_order) from rule_hits as h
                  where h.rule_scope = 'provider_model' and h.t = refs.model_ref)
            else coalesce(
                (select p.provider_id from seeds.price_providers as p where p.provider_id = refs.provider_hint),
                (select arg_min(h.provider_id, h.rule_order) from rule_hits as h
                 where h.rule_scope = 'provider_id' and h.t = refs.provider_hint))
        end as provider_id
    from refs
),

search_order as (
    select provider_id, provider_id as catalog_provider_id, 0 as search_rank from seeds.price_providers
    union all
    select provider_id, unnest(string_split(trim(fallback_model_providers), ' ')),
        generate_subscripts(string_split(trim(fallback_model_providers), ' '), 1)
    from seeds.price_providers where nullif(trim(fallback_model_providers), '') is not null
),

resolved as (
    select rp.provider_hint, rp.model_requested, rp.provider_id,
        arg_min(h.provider_id, (rt.pass, so.search_rank, h.rule_order)) as model_provider_id,
        arg_min(h.model_id, (rt.pass, so.search_rank, h.rule_order)) as model_id
    from ref_providers as rp
    left join (ref_texts as rt
        inner join rule_hits as h on h.rule_scope = 'model' and h.t = rt.match_text
        inner join search_order as so on so.catalog_provider_id = h.provider_id)
        on rt.model_ref = rp.model_ref and so.provider_id = rp.provider_id
    group by all
),

attempts_resolved as (
    select a.*, coalesce(r.provider_id, a.provider_hint) as provider, r.model_provider_id, r.model_id,
        cast(a.occurred_at as date) as price_date,
        coalesce(r.model_provider_id = r.provider_id, false) as variants_enabled
    from attempts as a
    left join resolved as r
        on a.provider_hint is not distinct from r.provider_hint and a.model_requested = r.model_requested
),

-- price contexts (model, date, batch, service tier): the last active base set (else the first); per price
-- key the first active variant matching the context that prices it; tiers are cliffs on total input
contexts as (
    select row_number() over () as ctx, *
    from (select distinct model_provider_id, model_id, price_date, is_batch, service_tier, variants_enabled
          from attempts_resolved where model_id is not null and has_usage)
),

candidate_sets as (
    select c.ctx, c.model_provider_id, c.model_id, s.price_set_id, s.set_order as priority
    from contexts as c
    inner join seeds.price_sets as s on s.provider_id = c.model_provider_id and s.model_id = c.model_id
    where s.set_kind = 'variant'
        and c.variants_enabled and s.when_other is null
        and (s.when_processing is not null or s.when_service_tier is not null)
        and (s.when_processing is null or (s.when_processing = 'batch' and c.is_batch))
        and (s.when_service_tier is null or s.when_service_tier = c.service_tier)
        and (s.start_date is null or c.price_date >= s.start_date)
    union all
    select c.ctx, c.model_provider_id, c.model_id,
        arg_min(s.price_set_id,
            (case when s.start_date is null or c.price_date >= s.start_date then 0 else 1 end,
             case when s.start_date is null or c.price_date >= s.start_date then -s.set_order else s.set_order end)),
        1000000
    from contexts as c
    inner join seeds.price_sets as s on s.provider_id = c.model_provider_id and s.model_id = c.model_id
    where s.set_kind = 'base'
    group by c.ctx, c.model_provider_id, c.model_id
),

key_tiers as (
    select ks.ctx, ks.price_key, coalesce(pr.tier_start, -1) as tier_start, pr.price_usd
    from (select cs.ctx, cs.model_provider_id, cs.model_id, pr.price_key,
              arg_min(cs.price_set_id, cs.priority) as price_set_id
          from candidate_sets as cs
          inner join seeds.price_rates as pr
              on pr.provider_id = cs.model_provider_id and pr.model_id = cs.model_id
              and pr.price_set_id = cs.price_set_id
          where pr.tier_start is null
          group by all) as ks
    inner join seeds.price_rates as pr
        on pr.provider_id = ks.model_provider_id and pr.model_id = ks.model_id
        and pr.price_set_id = ks.price_set_id and pr.price_key = ks.price_key
),

context_rates as (
    select c.* exclude (ctx), r.* exclude (ctx)
    from contexts as c
    inner join (
        pivot (
            select ci.ctx, ci.lower_bound, ci.upper_bound, kt.price_key,
                arg_max(kt.price_usd, kt.tier_start) as price_usd
            from (select ctx, lower_bound, lead(lower_bound) over (partition by ctx order by lower_bound) as upper_bound
                  from (select ctx, tier_start as lower_bound from key_tiers union select ctx, -1 from contexts)) as ci
            inner join key_tiers as kt on kt.ctx = ci.ctx and kt.tier_start <= ci.lower_bound
            group by all
        )
        on price_key in ('input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_5m_mtok',
            'cache_write_1h_mtok', 'input_audio_mtok', 'output_audio_mtok', 'output_reasoning_mtok',
            'web_searches_kcount', 'requests_kcount')
        using any_value(price_usd)
    ) as r on r.ctx = c.ctx
),

attempts_priced as (
    select a.*,
        case
            when not a.has_usage then 0::decimal(38, 24)
            when a.model_id is null then null
            else
                coalesce(((a.uncached_input_tokens - a.input_audio_tokens) * r.input_mtok
                    * 0.000001::decimal(7, 6))::decimal(38, 24), 0)
                + coalesce((a.input_audio_tokens * coalesce(r.input_audio_mtok, r.input_mtok)
                    * 0.000001::decimal(7, 6))::decimal(38, 24), 0)
                + coalesce((a.cache_read_tokens * coalesce(r.cache_read_mtok, r.input_mtok)
                    * 0.000001::decimal(7, 6))::decimal(38, 24), 0)
                + coalesce((a.cache_write_5m_tokens * coalesce(r.cache_write_5m_mtok, r.cache_write_mtok, r.input_mtok)
                    * 0.000001::decimal(7, 6))::decimal(38, 24), 0)
                + coalesce((a.cache_write_1h_tokens * coalesce(r.cache_write_1h_mtok, r.cache_write_mtok, r.input_mtok)
                    * 0.000001::decimal(7, 6))::decimal(38, 24), 0)
                + coalesce(((a.output_tokens - a.reasoning_tokens - a.output_audio_tokens) * r.output_mtok
                    * 0.000001::decimal(7, 6))::decimal(38, 24), 0)
                + coalesce((a.reasoning_tokens * coalesce(r.output_reasoning_mtok, r.output_mtok)
                    * 0.000001::decimal(7, 6))::decimal(38, 24), 0)
                + coalesce((a.output_audio_tokens * coalesce(r.output_audio_mtok, r.output_mtok)
                    * 0.000001::decimal(7, 6))::decimal(38, 24), 0)
                + coalesce((a.web_search_requests * r.web_searches_kcount * 0.001::decimal(4, 3))::decimal(38, 24), 0)
                + coalesce((r.requests_kcount * 0.001::decimal(4, 3))::decimal(38, 24), 0)
        end as list_cost_usd
    from attempts_resolved as a
    left join context_rates as r
        on a.has_usage and a.model_id is not null
        and r.model_provider_id = a.model_provider_id and r.model_id = a.model_id and r.price_date = a.price_date
        and r.is_batch = a.is_batch and r.service_tier is not distinct from a.service_tier
        and r.variants_enabled = a.variants_enabled
        and a.input_tokens > r.lower_bound and (r.upper_bound is null or a.input_tokens <= r.upper_bound)
),

-- one event per retry chain: time and ownership from the first attempt, the model from the first billed
-- attempt naming one; unpriced when any billed attempt is. Most attempts are a whole event on their own.
chained as (
    select source, retry_of as attempt_id from attempts_priced where retry_of is not null
    union
    select source, attempt_id from attempts_priced where retry_of is not null
),

events as (
    select a.source, a.event_id,
        {'occurred_at': a.occurred_at, 'agent_id': a.agent_id, 'key_id': a.key_id, 'user_email': a.user_email,
         'tag_team_id': a.tag_team_id} as f,
        {'provider': a.provider, 'model_id': a.model_id} as m, a.list_cost_usd
    from attempts_priced as a
    anti join chained as c on a.source = c.source and a.attempt_id = c.attempt_id
    union all
    select source, event_id,
        arg_min({'occurred_at': occurred_at, 'agent_id': agent_id, 'key_id': key_id, 'user_email': user_email,
                 'tag_team_id': tag_team_id},
                (attempt_id <> event_id, coalesce(attempt_number, 1), occurred_at, attempt_id)),
        arg_min({'provider': provider, 'model_id': model_id},
                (case when has_usage and model_requested is not null then 0 when model_requested is not null then 1
                    else 2 end,
                 attempt_id <> event_id, coalesce(attempt_number, 1), occurred_at, attempt_id)),
        case when count(*) filter (where has_usage and list_cost_usd is null) = 0
            then coalesce(sum(list_cost_usd), 0::decimal(38, 24)) end
    from attempts_priced
    semi join chained using (source, attempt_id)
    group by source, event_id
),

-- negotiated discounts in force on the event's date (a model's own row wins over a provider-wide one)
overrides as (
    select *, lead(valid_from) over (partition by provider, model_id order by valid_from) as valid_to
    from (select lower(nullif(trim(provider), '')) as provider,
              nullif(lower(nullif(trim(model_id), '')), '*') as model_id,
              try_cast(effective_from as date) as valid_from,
              (1::decimal(12, 6) - try_cast(discount_pct as decimal(9, 4)) * 0.01::decimal(3, 2))::decimal(12, 6)
                  as cost_factor
          from seeds.price_overrides)
),

events_effective as (
    select * exclude (factor),
        (list_cost_usd::decimal(26, 12) * factor
         + ((list_cost_usd - list_cost_usd::decimal(26, 12))::decimal(26, 24) * factor)::decimal(38, 24))::decimal(38, 24)
            as cost_usd
    from (
        select e.source, e.event_id, cast(e.f.occurred_at as date) as event_date,
            date_trunc('month', e.f.occurred_at)::date as month, e.f.agent_id, e.f.key_id, e.f.user_email,
            e.f.tag_team_id, coalesce(mo.cost_factor, po.cost_factor, 1::decimal(12, 6)) as factor, e.list_cost_usd
        from events as e
        left join overrides as mo
            on e.m.provider = mo.provider and e.m.model_id = mo.model_id
            and cast(e.f.occurred_at as date) >= mo.valid_from
            and (mo.valid_to is null or cast(e.f.occurred_at as date) < mo.valid_to)
        left join overrides as po
            on e.m.provider = po.provider and po.model_id is null
            and cast(e.f.occurred_at as date) >= po.valid_from
            and (po.valid_to is null or cast(e.f.occurred_at as date) < po.valid_to)
    )
),

-- the attribution spine depends only on (date, tag, agent, key, user): attribute those few combinations
groups as (
    select month, event_date, agent_id, key_id, user_email, tag_team_id, sum(cost_usd) as cost_usd
    from events_effective
    group by all
),

teams as (
    select lower(nullif(trim(team_id), '')) as team_id, lower(nullif(trim(merged_into), '')) as merged_into,
        try_cast(merged_on as date) as merged_on
    from seeds.teams
),

agent_periods as (
    select *, lead(valid_from) over (partition by agent order by valid_from) as valid_to
    from (select lower(nullif(trim(agent), '')) as agent, lower(nullif(trim(team_id), '')) as team_id,
              coalesce(try_cast(effective_from as date), '1900-01-01'::date) as valid_from
          from seeds.agent_directory)
),

people_periods as (
    select *, lead(valid_from) over (partition by email order by valid_from) as valid_to
    from (select lower(nullif(trim(email), '')) as email, lower(nullif(trim(team_id), '')) as team_id,
              coalesce(try_cast(effective_from as date), '1900-01-01'::date) as valid_from
          from seeds.people)
),

rule_periods as (
    select *, lead(valid_from) over (partition by agent order by valid_from) as valid_to
    from (select lower(nullif(trim(agent), '')) as agent, lower(nullif(trim(method), '')) as method,
              coalesce(try_cast(effective_from as date), '1900-01-01'::date) as valid_from
          from seeds.shared_agent_rules)
),

attributed as (
    select g.*,
        case
            when tt.team_id is not null then tt.team_id
            when ad.team_id is not null then ad.team_id
            when k.key_kind = 'team' and k.team_id is not null then k.team_id
            when pp.team_id is not null then pp.team_id
            when sr.method is not null then null
            else 'unattributed'
        end as team_id,
        case
            when tt.team_id is not null or ad.team_id is not null or (k.key_kind = 'team' and k.team_id is not null)
                or pp.team_id is not null then 'direct'
            when sr.method is not null then 'shared'
            else 'unattributed'
        end as basis,
        sr.method as rule_method
    from groups as g
    left join teams as tt on g.tag_team_id = tt.team_id
    left join agent_periods as ad
        on g.agent_id = ad.agent and g.event_date >= ad.valid_from and (ad.valid_to is null or g.event_date < ad.valid_to)
    left join (select lower(nullif(trim(api_key_id), '')) as api_key_id, lower(nullif(trim(key_kind), '')) as key_kind,
                   lower(nullif(trim(team_id), '')) as team_id, lower(nullif(trim(owner_email), '')) as owner_email
               from seeds.api_keys) as k
        on g.key_id = k.api_key_id
    left join people_periods as pp
        on (case when k.key_kind = 'personal' then k.owner_email else g.user_email end) = pp.email
        and g.event_date >= pp.valid_from and (pp.valid_to is null or g.event_date < pp.valid_to)
    left join rule_periods as sr
        on g.agent_id = sr.agent and g.event_date >= sr.valid_from and (sr.valid_to is null or g.event_date < sr.valid_to)
),

-- shared agents: the split rows in force (else every team not merged away), weighted by the rule's method
splits as (
    select lower(nullif(trim(agent), '')) as agent, lower(nullif(trim(team_id), '')) as team_id,
        try_cast(percent as decimal(9, 4)) as percent,
        coalesce(try_cast(effective_from as date), '1900-01-01'::date) as effective_from
    from seeds.shared_agent_splits
),

shared_groups as (
    select month, event_date, agent_id, key_id, user_email, tag_team_id, rule_method,
        (select max(sp.effective_from) from splits as sp where sp.agent = a.agent_id and sp.effective_from <= a.event_date)
            as split_from
    from attributed as a
    where basis = 'shared'
),

participants as (
    select g.*, sp.team_id, sp.percent
    from shared_groups as g inner join splits as sp on sp.agent = g.agent_id and sp.effective_from = g.split_from
    union all
    select g.*, t.team_id, null
    from shared_groups as g cross join teams as t
    where g.split_from is null and (t.merged_into is null or (t.merged_on is not null and t.merged_on > g.event_date))
),

direct_usage as (
    select month, team_id, floor(sum(cost_usd) * 1000000)::bigint as micro_usd
    from attributed where basis = 'direct' and cost_usd is not null group by all
),

headcount as (
    select lower(nullif(trim(team_id), '')) as team_id, date_trunc('month', try_cast(month as date))::date as month,
        try_cast(headcount as integer) as headcount
    from seeds.team_headcount where try_cast(headcount as integer) is not null
),

weighted as (
    select p.*, case p.rule_method
            when 'even' then 1
            when 'headcount' then coalesce(
                (select arg_max(h.headcount, h.month) from headcount as h where h.team_id = p.team_id and h.month <= p.month), 0)
            when 'usage' then coalesce(du.micro_usd, 0)
            when 'fixed' then coalesce(cast(p.percent * 10000 as bigint), 0)
            else 0
        end as method_weight
    from participants as p
    left join direct_usage as du on du.month = p.month and du.team_id = p.team_id
),

group_shares as (
    select *,
        cast(cast((cast(weight as hugeint) * 1000000000000) // cast(sum(weight) over g as hugeint)
            as decimal(38, 0)) * 0.000000000001::decimal(13, 12) as decimal(38, 12)) as share_floor,
        row_number() over (g order by weight desc, team_id) as remainder_rank
    from (select *,
              case when sum(method_weight) over g = 0 then 1 else method_weight end as weight
          from weighted
          window g as (partition by month, event_date, agent_id, key_id, user_email, tag_team_id))
    window g as (partition by month, event_date, agent_id, key_id, user_email, tag_team_id)
),

-- each shared event split exactly: floored shares, the remainder to the largest weight (then the lowest team)
shared_allocations as (
    select month, team_id,
        case when remainder_rank = 1
            then cost_usd - coalesce(sum(allocated_floor) filter (where remainder_rank > 1)
                                       over (partition by source, event_id), 0)
            else allocated_floor end as allocated_cost_usd
    from (select e.source, e.event_id, e.month, e.cost_usd, s.team_id, s.remainder_rank,
              (e.cost_usd::decimal(26, 12) * s.share_floor
               + ((e.cost_usd - e.cost_usd::decimal(26, 12))::decimal(26, 24) * s.share_floor)::decimal(38, 24))
                  ::decimal(38, 24) as allocated_floor
          from events_effective as e
          inner join group_shares as s
              on e.month = s.month and e.event_date = s.event_date
              and e.agent_id is not distinct from s.agent_id and e.key_id is not distinct from s.key_id
              and e.user_email is not distinct from s.user_email and e.tag_team_id is not distinct from s.tag_team_id)
),

team_month as (
    select month, team_id, coalesce(sum(allocated_cost_usd), 0::decimal(38, 24)) as cost_usd
    from (select month, team_id, cost_usd as allocated_cost_usd from attributed where basis <> 'shared'
          union all
          select month, team_id, allocated_cost_usd from shared_allocations)
    group by all
    union all
    select distinct month, 'unattributed', 0::decimal(38, 24) from attributed
    where month not in (select month from attributed where team_id = 'unattributed')
),

-- cents: each month's total rounded half-up, spread over the teams by largest remainder
cents as (
    select *,
        floor(sum(cost_usd) over (partition by month) * 100 + 0.5::decimal(2, 1))::bigint as month_cents,
        floor(cost_usd * 100)::bigint as floor_cents,
        row_number() over (partition by month order by cost_usd * 100 - floor(cost_usd * 100) desc, team_id) as rr
    from team_month
)

select month, team_id, cost_usd,
    floor_cents + case when rr <= month_cents - sum(floor_cents) over (partition by month) then 1 else 0 end as cost_cents
from cents
order by month, team_id
"""


def floor_baseline(con: duckdb.DuckDBPyConnection) -> list[Row]:
    return [(m, t, c, int(n)) for m, t, c, n in con.execute(FLOOR_SQL).fetchall()]


# ------------------------------------------------------------------------------------------------
# Baseline (b): pandas, as an analyst would write it: the same raw rows read into pandas, JSON parsed
# with json.loads, dedupe with drop_duplicates, prices via merges, as-of ownership via merge_asof, groupby.
# Money: attempt costs are whole pico-dollars (int64; asserted: every rate used has <= 6 decimals per
# million tokens), a discounted cost is pico-dollars plus an atto-dollar remainder (int64 pairs, exact), the
# few shared-rule splits use Python Decimal with the models' rounding (half away from zero).
# ------------------------------------------------------------------------------------------------
PRICE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_5m_mtok",
              "cache_write_1h_mtok", "input_audio_mtok", "output_audio_mtok", "output_reasoning_mtok",
              "web_searches_kcount", "requests_kcount")
FAILED_STATUSES = {"failed", "failure", "error", "errored", "cancelled", "canceled", "timeout", "timed_out", "rejected"}
COMPACT_DATE = re.compile(r"-(20[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(-|:|$)")
ATTEMPT_COLUMNS = ["source", "load_id", "pos", "attempt_id", "retry_of", "attempt_number", "occurred_at",
                   "provider_hint", "model_requested", "is_batch", "service_tier", "agent_id", "key_id", "user_email",
                   "tag_team_id", "has_usage", "uncached", "cache_read", "cw5", "cw1h", "output", "reasoning",
                   "input_audio", "output_audio", "web_searches"]
PICO = 10**12
MICRO = 10**6
CHUNK_ROWS = 250_000


def norm(value: Any) -> str | None:
    """An id as the models compare it: trimmed, lower-cased, blank = None (interned: few distinct values)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return sys.intern(text) if text else None


def blank_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return sys.intern(text) if text else None


def gateway_attempt(load_id: int, pos: int, line: str) -> tuple[Any, ...]:
    """One gateway line as a canonical attempt (the usage shapes of the staging model)."""
    obj = json.loads(line)
    response = obj.get("response") or {}
    usage = response.get("usage")
    usage = usage if isinstance(usage, dict) else None
    status = str(obj.get("status_code")).strip()
    failed = (status.isdigit() and int(status) >= 400) or obj.get("error") is not None
    u = usage or {}
    if usage is None:
        shape = None
    elif "prompt_tokens" in u or "completion_tokens" in u:
        shape = "chat"
    elif (str(obj.get("provider") or "").strip().lower() == "anthropic" or "cache_creation_input_tokens" in u
          or "cache_read_input_tokens" in u or str(obj.get("endpoint") or "").endswith("/messages")):
        shape = "anthropic"
    elif "input_tokens" in u or "output_tokens" in u:
        shape = "responses"
    else:
        shape = None
    input_details = u.get("prompt_tokens_details" if shape == "chat" else "input_tokens_details") or {}
    output_details = u.get("completion_tokens_details" if shape == "chat" else "output_tokens_details") or {}
    t_input = u.get("prompt_tokens" if shape == "chat" else "input_tokens")
    t_output = u.get("completion_tokens" if shape == "chat" else "output_tokens")
    has_usage = shape is not None and (
        (t_input is not None or t_output is not None) if failed else (t_input is not None and t_output is not None))
    counts = (0, 0, 0, 0, 0, 0, 0, 0, 0)
    if has_usage:
        n_input = t_input or 0
        if shape == "anthropic":
            cache_read = u.get("cache_read_input_tokens") or 0
            creation = u.get("cache_creation") or {}
            write = u.get("cache_creation_input_tokens")
            if write is None and ("ephemeral_5m_input_tokens" in creation or "ephemeral_1h_input_tokens" in creation):
                write = (creation.get("ephemeral_5m_input_tokens") or 0) + (creation.get("ephemeral_1h_input_tokens") or 0)
            write, write_1h = write or 0, creation.get("ephemeral_1h_input_tokens") or 0
            reasoning = output_details.get("thinking_tokens") or 0
            web = (u.get("server_tool_use") or {}).get("web_search_requests") or 0
            counts = (n_input, cache_read, write - write_1h, write_1h, t_output or 0, reasoning, 0, 0, web)
        else:
            cache_read = input_details.get("cached_tokens") or 0
            write = input_details.get("cache_write_tokens") or 0
            reasoning = output_details.get("reasoning_tokens") or 0
            audio_in = (input_details.get("audio_tokens") or 0) if shape == "chat" else 0
            audio_out = (output_details.get("audio_tokens") or 0) if shape == "chat" else 0
            counts = (n_input - cache_read - write, cache_read, write, 0, t_output or 0, reasoning, audio_in, audio_out, 0)
    headers = obj.get("headers")
    team = None
    if isinstance(headers, dict):
        team = next((value for key, value in headers.items() if key.lower() == "x-team"), None)
    attempt = obj.get("attempt")
    tier = blank_none(response.get("service_tier")) or blank_none(u.get("service_tier"))
    return ("gateway", load_id, pos, blank_none(obj.get("request_id")), blank_none(obj.get("retry_of")),
            int(attempt) if isinstance(attempt, int) or (isinstance(attempt, str) and attempt.strip().isdigit()) else None,
            obj.get("timestamp"), norm(obj.get("provider")), blank_none(response.get("model")),
            str(obj.get("batch")).lower() in ("true", "1"), tier, norm(obj.get("agent")), norm(obj.get("api_key_id")),
            norm(obj.get("user")), norm(team), has_usage, *counts)


def jobs_attempt(row: tuple[Any, ...]) -> tuple[Any, ...]:
    load_id, pos, job_id, created_at, agent, model, provider, t_in, t_cached, t_out, status, key, user, labels, \
        attempt, retry_of = row
    failed = norm(status) in FAILED_STATUSES
    t_in, t_cached, t_out = (None if v is None or not v.strip() else int(v) for v in (t_in, t_cached, t_out))
    has_usage = (t_in is not None or t_out is not None) if failed else (t_in is not None and t_out is not None)
    team = None
    if labels and labels.strip():
        try:
            parsed = json.loads(labels)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("team") is not None:
            team = norm(parsed["team"])
    counts = ((t_in or 0) - (t_cached or 0), t_cached or 0, 0, 0, t_out or 0, 0, 0, 0, 0) if has_usage else (0,) * 9
    return ("jobs", load_id, pos, blank_none(job_id), blank_none(retry_of),
            int(attempt) if attempt and attempt.strip().isdigit() else None, created_at, norm(provider),
            blank_none(model), False, None, norm(agent), norm(key), norm(user), team, has_usage, *counts)


def read_attempts(con: duckdb.DuckDBPyConnection) -> Any:
    import pandas as pd

    frames = []
    sources: list[tuple[str, Callable[[tuple[Any, ...]], tuple[Any, ...]]]] = [
        ("select load_id, line_number, raw_line from raw.gateway_requests", lambda r: gateway_attempt(*r)),
        ("select load_id, row_number, job_id, created_at, agent, model, provider, input_tokens, cached_input_tokens, "
         "output_tokens, status, api_key_id, user_email, labels, attempt, retry_of from raw.jobs_export", jobs_attempt),
    ]
    for sql, parse in sources:
        cursor = con.execute(sql)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            frame = pd.DataFrame([parse(row) for row in rows], columns=ATTEMPT_COLUMNS)
            # naive = UTC, 'Z' and offsets converted (the models' tl_parse_utc_timestamp)
            frame["occurred_at"] = pd.to_datetime(frame["occurred_at"].str.strip(), utc=True, format="ISO8601") \
                .dt.tz_convert(None)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def clause_matches(text: str, kind: str, value: str) -> bool:
    if kind == "equals":
        return text == value
    if kind == "starts_with":
        return text.startswith(value)
    if kind == "ends_with":
        return text.endswith(value)
    if kind == "contains":
        return value in text
    if kind == "regex":
        return re.search(value, text) is not None
    if kind == "not_regex":
        return re.search(value, text) is None
    return False


class Catalog:
    """The price seeds, for resolving model references and pricing contexts (a few dozen of each)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.providers = {p: (f or "").split() for p, f in con.execute(
            "select provider_id, fallback_model_providers from seeds.price_providers").fetchall()}
        rules: dict[tuple[str, str, str | None, int, int], list[tuple[str, str]]] = {}
        for scope, provider, model, order, conj, kind, value in con.execute(
                "select rule_scope, provider_id, model_id, rule_order, conjunction_id, clause_type, clause_value "
                "from seeds.price_match_clauses order by all").fetchall():
            rules.setdefault((scope, provider, model, order, conj), []).append((kind, value))
        self.rules = rules
        self.sets: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        for row in con.execute("select provider_id, model_id, price_set_id, set_kind, set_order, start_date, start_time, "
                               "when_processing, when_service_tier, when_other from seeds.price_sets").fetchall():
            self.sets.setdefault((row[0], row[1]), []).append(row[2:])
        self.rates: dict[tuple[str, str, int, str], list[tuple[int, Decimal]]] = {}
        for provider, model, set_id, key, tier, price in con.execute(
                "select provider_id, model_id, price_set_id, price_key, coalesce(tier_start, -1), price_usd "
                "from seeds.price_rates").fetchall():
            self.rates.setdefault((provider, model, set_id, key), []).append((tier, price))

    def hits(self, text: str, scope: str) -> list[tuple[int, str, str | None]]:
        return sorted({(order, provider, model) for (s, provider, model, order, _), clauses in self.rules.items()
                       if s == scope and all(clause_matches(text, kind, value) for kind, value in clauses)},
                      key=lambda hit: hit[0])

    def resolve(self, hint: str | None, model: str) -> tuple[str | None, str | None, str | None]:
        """(provider, model_provider_id, model_id) as int_model_refs_resolved does."""
        ref = model.strip().lower()
        texts = [(1, ref)]
        match = COMPACT_DATE.search(ref)
        if match:
            try:
                date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
                texts.append((2, COMPACT_DATE.sub(r"-\1-\2-\3\4", ref, count=1)))
            except ValueError:
                pass
        if hint is None:
            inferred = self.hits(ref, "provider_model")
            provider = inferred[0][1] if inferred else None
        elif hint in self.providers:
            provider = hint
        else:
            by_rule = self.hits(hint, "provider_id")
            provider = by_rule[0][1] if by_rule else None
        if provider is None:
            return None, None, None
        search = {p: rank for rank, p in enumerate([provider, *self.providers.get(provider, [])])}
        best: tuple[tuple[int, int, int], str, str | None] | None = None
        for pass_no, text in texts:
            for order, candidate, model_id in self.hits(text, "model"):
                if candidate in search and (best is None or (pass_no, search[candidate], order) < best[0]):
                    best = ((pass_no, search[candidate], order), candidate, model_id)
        return (provider, best[1], best[2]) if best else (provider, None, None)

    def intervals(self, provider: str, model: str, day: date, batch: bool, tier: str | None,
                  variants: bool) -> list[tuple[int, int | None, dict[str, Decimal]]]:
        """[(lower, upper, {price_key: price})]: the rates for requests with lower < total input <= upper."""
        sets = self.sets[(provider, model)]
        if any(s[4] is not None for s in sets):
            raise AssertionError(f"time-of-day price sets ({provider}/{model}) are outside this baseline's scope")
        active = [s for s in sets if s[1] == "base" and (s[3] is None or day >= s[3])]
        base = max(active, key=lambda s: s[2]) if active else min((s for s in sets if s[1] == "base"), key=lambda s: s[2])
        candidates = [(1000000, base[0]), *sorted((s[2], s[0]) for s in sets if s[1] == "variant" and variants and s[7] is None and (s[5] is not None or s[6] is not None) and (s[5] is None or (s[5] == "batch" and batch)) and (s[6] is None or s[6] == tier) and (s[3] is None or day >= s[3]))]
        tiers: dict[str, list[tuple[int, Decimal]]] = {}
        for key in PRICE_KEYS:
            for _, set_id in sorted(candidates):
                rates = self.rates.get((provider, model, set_id, key), [])
                if any(t == -1 for t, _ in rates):
                    tiers[key] = sorted(rates)
                    break
        bounds = sorted({-1} | {t for rates in tiers.values() for t, _ in rates})
        return [(lower, bounds[i + 1] if i + 1 < len(bounds) else None,
                 {key: [p for t, p in rates if t <= lower][-1] for key, rates in tiers.items()})
                for i, lower in enumerate(bounds)]


def pico_rate(price: Decimal | None, per_units: int) -> int:
    """A catalog price per `per_units` units in whole pico-dollars per unit (0 when not priced)."""
    if price is None:
        return 0
    value = price * PICO / per_units
    if value != value.to_integral_value():
        raise AssertionError(f"price {price} per {per_units} is not a whole number of pico-dollars per unit")
    return int(value)


def scale_money(amount: Decimal, factor: Decimal) -> Decimal:
    """tl_scale_money: exact at 1e-12, the residue times the factor rounded at 1e-24 (half away from zero)."""
    whole = amount.quantize(Decimal("1e-12"), rounding=ROUND_HALF_UP)
    return whole * factor + ((amount - whole) * factor).quantize(Decimal("1e-24"), rounding=ROUND_HALF_UP)


def pandas_baseline(con: duckdb.DuckDBPyConnection) -> list[Row]:
    import numpy as np
    import pandas as pd

    getcontext().prec = 60  # exact sums of decimal(38, 24) amounts
    seed = lambda sql: con.execute(sql).df()  # noqa: E731
    attempts = read_attempts(con)

    # dedupe: the latest load wins, within a load the later line
    attempts = attempts.iloc[np.lexsort((attempts["pos"], attempts["load_id"]))]
    attempts = attempts[~attempts.duplicated(["source", "attempt_id"], keep="last")].reset_index(drop=True)
    attempts["event_id"] = attempts["retry_of"].fillna(attempts["attempt_id"])

    # model references -> catalog, then price contexts -> rate intervals (all small: Python loops)
    catalog = Catalog(con)
    ref_cols = ["provider_hint", "model_requested"]
    refs = attempts.loc[attempts["model_requested"].notna(), ref_cols].drop_duplicates()
    resolved = [(h, m, *catalog.resolve(None if pd.isna(h) else h, m)) for h, m in refs.itertuples(index=False)]
    refs = pd.DataFrame(resolved, columns=[*ref_cols, "provider", "model_provider_id", "model_id"])
    looked_up = attempts[ref_cols].merge(refs, on=ref_cols, how="left")  # a left merge keeps the left order
    for column in ("provider", "model_provider_id", "model_id"):
        attempts[column] = looked_up[column].to_numpy()
    del looked_up
    attempts["provider"] = attempts["provider"].fillna(attempts["provider_hint"])
    attempts["variants"] = (attempts["model_provider_id"] == attempts["provider"]).fillna(False).astype(bool)
    attempts["price_date"] = attempts["occurred_at"].dt.normalize()
    priceable = attempts["has_usage"] & attempts["model_id"].notna()
    ctx_cols = ["model_provider_id", "model_id", "price_date", "is_batch", "service_tier", "variants"]
    attempts["ctx"] = -1
    attempts.loc[priceable, "ctx"] = attempts.loc[priceable, ctx_cols].groupby(ctx_cols, dropna=False).ngroup()
    rate_rows = []
    contexts = attempts.loc[priceable, ["ctx", *ctx_cols]].drop_duplicates("ctx")
    for ctx, provider, model, day, batch, tier, variants in contexts.itertuples(index=False):
        for lower, upper, prices in catalog.intervals(provider, model, day.date(), bool(batch),
                                                      None if pd.isna(tier) else tier, bool(variants)):
            def rate(*names: str, per: int = MICRO) -> int:  # the bucket's most specific priced key
                return pico_rate(next((prices[n] for n in names if prices.get(n) is not None), None), per)  # noqa: B023 - called at once

            rate_rows.append((ctx, lower, np.iinfo(np.int64).max if upper is None else upper,
                              rate("input_mtok"), rate("input_audio_mtok", "input_mtok"),
                              rate("cache_read_mtok", "input_mtok"),
                              rate("cache_write_5m_mtok", "cache_write_mtok", "input_mtok"),
                              rate("cache_write_1h_mtok", "cache_write_mtok", "input_mtok"), rate("output_mtok"),
                              rate("output_reasoning_mtok", "output_mtok"), rate("output_audio_mtok", "output_mtok"),
                              rate("web_searches_kcount", per=1000), rate("requests_kcount", per=1000)))
    rates = pd.DataFrame(rate_rows, columns=["ctx", "lower", "upper", "r_in", "r_in_audio", "r_cache_read", "r_cw5",
                                             "r_cw1h", "r_out", "r_reasoning", "r_out_audio", "r_web", "r_request"])
    tokens = ["uncached", "cache_read", "cw5", "cw1h", "output", "reasoning", "input_audio", "output_audio",
              "web_searches"]
    a = attempts.loc[priceable, ["ctx", *tokens]].reset_index()
    a["input_tokens"] = a["uncached"] + a["cache_read"] + a["cw5"] + a["cw1h"]
    a = a.merge(rates, on="ctx")  # tiered contexts: one row per interval, then keep the interval of the request
    a = a[(a["input_tokens"] > a["lower"]) & (a["input_tokens"] <= a["upper"])]
    pico = ((a["uncached"] - a["input_audio"]) * a["r_in"] + a["input_audio"] * a["r_in_audio"]
            + a["cache_read"] * a["r_cache_read"] + a["cw5"] * a["r_cw5"] + a["cw1h"] * a["r_cw1h"]
            + (a["output"] - a["reasoning"] - a["output_audio"]) * a["r_out"]
            + a["reasoning"] * a["r_reasoning"] + a["output_audio"] * a["r_out_audio"]
            + a["web_searches"] * a["r_web"] + a["r_request"])
    attempts["cost_pico"] = 0
    attempts.loc[a["index"].to_numpy(), "cost_pico"] = pico.to_numpy(dtype="int64")
    attempts["unpriced"] = attempts["has_usage"] & attempts["model_id"].isna()
    del a, pico
    attempts = attempts.drop(columns=[*tokens, "ctx", "price_date", "variants", "model_provider_id", "service_tier",
                                      "is_batch", "provider_hint", "load_id", "pos", "retry_of"])

    # events: a retry chain is one event; time and ownership from the first attempt, model from the first billed
    keys = ["source", "event_id"]
    chained = attempts.duplicated(keys, keep=False)
    single, multi = attempts[~chained], attempts[chained].copy()
    multi["not_root"] = multi["attempt_id"] != multi["event_id"]
    multi["attempt_no"] = multi["attempt_number"].fillna(1)
    multi["model_rank"] = np.where(multi["has_usage"] & multi["model_requested"].notna(), 0,
                                   np.where(multi["model_requested"].notna(), 1, 2))
    order = ["not_root", "attempt_no", "occurred_at", "attempt_id"]
    owner_cols = [*keys, "occurred_at", "agent_id", "key_id", "user_email", "tag_team_id"]
    model_cols = [*keys, "provider", "model_id"]
    multi_events = multi.sort_values(order).drop_duplicates(keys)[owner_cols] \
        .merge(multi.sort_values(["model_rank", *order]).drop_duplicates(keys)[model_cols], on=keys) \
        .merge(multi.groupby(keys, sort=False).agg(cost_pico=("cost_pico", "sum"), unpriced=("unpriced", "any")),
               on=keys)
    events = pd.concat([single[[*owner_cols, "provider", "model_id", "cost_pico", "unpriced"]], multi_events],
                       ignore_index=True)
    del attempts, single, multi, multi_events
    events["event_date"] = events["occurred_at"].dt.normalize()
    events["month"] = events["occurred_at"].dt.to_period("M").dt.start_time

    # negotiated discounts in force (a model's own row wins over a provider-wide one): factor in millionths
    overrides = seed("select lower(trim(provider)) as provider, nullif(lower(trim(model_id)), '') as model_id, "
                     "try_cast(effective_from as date) as effective_from, "
                     "cast(round(try_cast(discount_pct as decimal(9, 4)) * 10000) as bigint) as discount_micro "
                     "from seeds.price_overrides where try_cast(effective_from as date) is not null")
    overrides["model_id"] = overrides["model_id"].replace("*", None)
    overrides["effective_from"] = pd.to_datetime(overrides["effective_from"])
    events = events.sort_values("event_date")
    by_model = overrides[overrides["model_id"].notna()].sort_values("effective_from")
    by_provider = overrides[overrides["model_id"].isna()].drop(columns="model_id").sort_values("effective_from")
    events = pd.merge_asof(events, by_model.rename(columns={"discount_micro": "d_model"}), left_on="event_date",
                           right_on="effective_from", by=["provider", "model_id"]).drop(columns="effective_from")
    events = pd.merge_asof(events, by_provider.rename(columns={"discount_micro": "d_provider"}), left_on="event_date",
                           right_on="effective_from", by="provider").drop(columns="effective_from")
    factor = (MICRO - events["d_model"].fillna(events["d_provider"]).fillna(0)).astype("int64")
    high, low = np.divmod(events["cost_pico"].to_numpy(), MICRO)
    low_scaled = low * factor.to_numpy()
    events["cost_pico"] = high * factor.to_numpy() + low_scaled // MICRO  # effective cost: pico-dollars ...
    events["cost_atto"] = low_scaled % MICRO  # ... plus an exact atto-dollar remainder

    # the attribution spine, as of the event's UTC date
    teams = seed("select lower(trim(team_id)) as team_id, lower(nullif(trim(merged_into), '')) as merged_into, "
                 "try_cast(merged_on as date) as merged_on from seeds.teams")

    def dated(sql: str) -> Any:
        frame = seed(sql)
        frame["effective_from"] = pd.to_datetime(frame["effective_from"].fillna(date(1900, 1, 1)))
        return frame.sort_values("effective_from")

    directory = dated("select lower(trim(agent)) as agent_id, lower(nullif(trim(team_id), '')) as owner_team, "
                      "try_cast(effective_from as date) as effective_from from seeds.agent_directory")
    people = dated("select lower(trim(email)) as person_email, lower(nullif(trim(team_id), '')) as person_team, "
                   "try_cast(effective_from as date) as effective_from from seeds.people")
    rules = dated("select lower(trim(agent)) as agent_id, lower(nullif(trim(method), '')) as rule_method, "
                  "try_cast(effective_from as date) as effective_from from seeds.shared_agent_rules")
    keys_seed = seed("select lower(trim(api_key_id)) as key_id, lower(trim(key_kind)) as key_kind, "
                     "lower(nullif(trim(team_id), '')) as key_team, lower(nullif(trim(owner_email), '')) as owner_email "
                     "from seeds.api_keys")
    events = pd.merge_asof(events, directory, left_on="event_date", right_on="effective_from", by="agent_id") \
        .drop(columns="effective_from").merge(keys_seed, on="key_id", how="left")
    events["person_email"] = np.where(events["key_kind"] == "personal", events["owner_email"], events["user_email"])
    events = pd.merge_asof(events, people, left_on="event_date", right_on="effective_from", by="person_email") \
        .drop(columns="effective_from")
    events = pd.merge_asof(events, rules, left_on="event_date", right_on="effective_from", by="agent_id") \
        .drop(columns="effective_from")
    tag = events["tag_team_id"].where(events["tag_team_id"].isin(set(teams["team_id"])))
    team_key = events["key_team"].where(events["key_kind"] == "team")
    direct = tag.fillna(events["owner_team"]).fillna(team_key).fillna(events["person_team"])
    events["basis"] = np.where(direct.notna(), "direct", np.where(events["rule_method"].notna(), "shared", "unattributed"))
    events["team_id"] = direct.where(events["basis"] != "unattributed", "unattributed")
    events.loc[events["unpriced"], ["cost_pico", "cost_atto"]] = 0

    def exact(pico: int, atto: int) -> Decimal:
        return Decimal(int(pico)).scaleb(-12) + Decimal(int(atto)).scaleb(-18)

    # shared agents (a small subset): participants in force, weights by method, exact floored shares
    shared = events[events["basis"] == "shared"]
    direct_events = events[(events["basis"] == "direct") & ~events["unpriced"]]
    usage = direct_events.groupby(["month", "team_id"])[["cost_pico", "cost_atto"]].sum()
    usage_micro = {k: (int(p) * MICRO + int(a)) // PICO for k, (p, a) in usage.iterrows()}  # floor(usd * 1e6)
    splits = con.execute("select lower(trim(agent)), lower(trim(team_id)), try_cast(percent as decimal(9, 4)), "
                         "coalesce(try_cast(effective_from as date), date '1900-01-01') "
                         "from seeds.shared_agent_splits").fetchall()
    headcount = con.execute("select lower(trim(team_id)), try_cast(month as date), try_cast(headcount as integer) "
                            "from seeds.team_headcount where try_cast(headcount as integer) is not null "
                            "order by 2").fetchall()
    team_rows = con.execute("select lower(trim(team_id)), lower(nullif(trim(merged_into), '')), "
                            "try_cast(merged_on as date) from seeds.teams").fetchall()
    allocations: dict[tuple[Any, str], Decimal] = {}
    for event in shared.itertuples(index=False):
        day, month = event.event_date.date(), event.month.date()
        versions = [d for agent, _, _, d in splits if agent == event.agent_id and d <= day]
        if versions:
            members = [(team, pct) for agent, team, pct, d in splits if agent == event.agent_id and d == max(versions)]
        else:
            members = [(team, None) for team, into, on in team_rows if into is None or (on is not None and on > day)]
        weights = []
        for team, percent in members:
            if event.rule_method == "even":
                weight = 1
            elif event.rule_method == "headcount":
                weight = next((int(h) for t, m, h in reversed(headcount) if t == team and m.replace(day=1) <= month), 0)
            elif event.rule_method == "usage":
                weight = usage_micro.get((event.month, team), 0)
            elif event.rule_method == "fixed" and percent is not None:
                weight = int(percent * 10000)
            else:
                weight = 0
            weights.append(weight)
        if sum(weights) == 0:
            weights = [1] * len(weights)
        total = sum(weights)
        ranked = sorted(zip(members, weights, strict=True), key=lambda mw: (-mw[1], mw[0][0]))
        cost = None if event.unpriced else exact(event.cost_pico, event.cost_atto)
        floors = [scale_money(cost, Decimal(w * PICO // total).scaleb(-12)) if cost is not None else None
                  for _, w in ranked]
        for rank, ((team, _), _) in enumerate(ranked):
            amount = Decimal(0)
            if cost is not None:
                amount = cost - sum(floors[1:], Decimal(0)) if rank == 0 else floors[rank]
            allocations[(event.month, team)] = allocations.get((event.month, team), Decimal(0)) + amount

    # per team and month, then the month's cents by largest remainder
    plain = events[events["basis"] != "shared"].groupby(["month", "team_id"])[["cost_pico", "cost_atto"]].sum()
    totals_by_key: dict[tuple[Any, str], Decimal] = {k: exact(p, a) for k, (p, a) in plain.iterrows()}
    for k, amount in allocations.items():
        totals_by_key[k] = totals_by_key.get(k, Decimal(0)) + amount
    for month in events["month"].unique():
        totals_by_key.setdefault((month, "unattributed"), Decimal(0))
    return cents_rows({(pd.Timestamp(m).date(), t): v for (m, t), v in totals_by_key.items()})


def cents_rows(totals: dict[tuple[date, str], Decimal]) -> list[Row]:
    """fct_team_monthly_spend's cents: each month's total rounded half-up, spread by largest remainder."""
    out: list[Row] = []
    for month in sorted({m for m, _ in totals}):
        teams = sorted((t, v) for (m, t), v in totals.items() if m == month)
        month_cents = int((sum(v for _, v in teams) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        floors = {t: int((v * 100).to_integral_value(rounding=ROUND_FLOOR)) for t, v in teams}
        extra = month_cents - sum(floors.values())
        ranked = sorted(teams, key=lambda tv: (-(tv[1] * 100 - floors[tv[0]]), tv[0]))
        bonus = {t for t, _ in ranked[:max(extra, 0)]}
        out += [(month, t, v, floors[t] + (t in bonus)) for t, v in teams]
    return out


# ------------------------------------------------------------------------------------------------
# The run: every step a subprocess under GNU time, in one process tree
# ------------------------------------------------------------------------------------------------
class BenchError(Exception):
    pass


class OverBudget(BenchError):
    pass


@dataclass
class Step:
    seconds: float
    peak_rss_kb: int
    cpu_seconds: float  # user + system of the step's processes
    other_cores: float  # average number of cores busy with other work on the machine meanwhile
    exit_status: int = 0
    rows: int | None = None
    stopped: bool = False  # killed at the time budget: `seconds` is a lower bound, the RSS only sampled (1 s)


@dataclass
class SizeResult:
    label: str
    events: int
    steps: dict[str, Step] = field(default_factory=dict)
    data_bytes: dict[str, int] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    matches: dict[str, bool] = field(default_factory=dict)
    mismatches: dict[str, list[str]] = field(default_factory=dict)
    stopped: str = ""  # why the run of this size stopped early, if it did
    spark: dict[str, str] = field(default_factory=dict)  # the Spark run's settings (empty: no Spark step)
    quick: bool = False  # --quick: only the models the monthly totals need, no data tests, no incremental step
    org_edit: str = ""  # the org-edit step's change


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([kKmM]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected e.g. 20k, 1M, 10M, 50M or 12345, got {text!r}")
    return int(match.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[match.group(2).lower()]


def size_label(events: int) -> str:
    for unit, suffix in ((1_000_000, "M"), (1000, "k")):
        if events % unit == 0:
            return f"{events // unit}{suffix}"
    return str(events)


def busy_jiffies() -> int:
    """Non-idle CPU time of the whole machine (all cores), in clock ticks, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # minus idle and iowait


def gnu_time(text: str) -> tuple[int, float]:
    """(peak RSS in KiB, user + system seconds) from `/usr/bin/time -v` output; zeros when it has none."""
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    cpu = [re.search(rf"{kind} time \(seconds\): ([\d.]+)", text) for kind in ("User", "System")]
    return int(rss.group(1)) if rss else 0, sum(float(m.group(1)) for m in cpu if m)


def session_rss_kb(session: int) -> int:
    """The largest resident set among the processes of a session (as GNU time reports one process's peak)."""
    largest = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # fields from the state on: state ppid pgrp session ... rss (21st)
            largest = max(largest, int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024)
    return largest


def tree_usage(root: int) -> dict[int, tuple[int, int, str]]:
    """Per process of the tree under `root` (by parent, whatever the session: the dbt runner starts dbt in a
    session of its own, and pyspark its JVM under dbt): (resident set in KiB, user + system ticks, name)."""
    table: dict[int, tuple[int, int, int, str]] = {}  # pid: (ppid, rss KiB, ticks, name)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = tail.split()  # from the state on: state ppid ...; utime, stime the 12th and 13th; rss the 22nd
        try:
            table[int(stat.parent.name)] = (int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024,
                                            int(fields[11]) + int(fields[12]), head.split("(", 1)[-1])
        except (IndexError, ValueError):  # a process caught while it exits: not counted
            continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, *_) in table.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    return {pid: table[pid][1:] for pid in tree if pid in table}


# The scheduled (production) build, as `tokenledger build --scheduled` runs it: unit tests check the code, not
# the data, so they run in CI (`make test`) and are left out of nightly builds; data tests stay, those of the
# facts rebuilt a month at a time on the months the build rebuilt (every row in a full build).
PRODUCTION = ("--exclude-resource-type", "unit_test")
# --quick: the models the monthly totals need (and their seeds), no tests
QUICK_SELECT = ("+fct_team_monthly_spend", "+audit_rejected_rows",
                "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


class Runner:
    """Runs the steps of one size with the warehouse and data under <work>/<size>; `save` after every step."""

    def __init__(self, work: Path, result: SizeResult, *, quick: bool, log: Path, deadline: float | None,
                 save: Callable[[], None], spark: bool = False) -> None:
        self.work, self.result, self.quick, self.log, self.deadline, self.save = work, result, quick, log, deadline, save
        self.spark = spark
        self.root = work / result.label
        self.db = self.root / "warehouse.duckdb"
        # The sample's organisation folder, copied: the org-edit step edits the copy
        self.org = self.root / "org"
        self.env = {**os.environ, "TOKENLEDGER_DB": str(self.db), "TOKENLEDGER_TEMP_DIR": str(self.root / "tmp"),
                    "TOKENLEDGER_ORG": str(self.org), "TOKENLEDGER_LOCK_WAIT": "60", "PYTHONUNBUFFERED": "1"}
        self.dbt_paths = ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
        # Spark: the lake, the tables and the metastore under the size's directory; dbt's own target path
        self.spark_root = self.root / "spark"
        self.spark_tables = self.spark_root / "tables"
        self.spark_lake = self.spark_root / "lake"
        self.spark_env = {**self.env, "TOKENLEDGER_LAKE": str(self.spark_lake),
                          "TOKENLEDGER_SPARK_WAREHOUSE": str(self.spark_tables),
                          "TOKENLEDGER_SPARK_METASTORE": str(self.spark_root / "metastore"),
                          "TOKENLEDGER_SPARK_MASTER": os.environ.get("TOKENLEDGER_SPARK_MASTER", "local[2]"),
                          "TOKENLEDGER_SPARK_DRIVER_MEMORY": os.environ.get("TOKENLEDGER_SPARK_DRIVER_MEMORY", "4g")}
        self.spark_dbt_paths = ["--target", "spark", "--target-path", str(work / "target-spark"),
                                "--log-path", str(work / "logs")]

    def timed(self, name: str, argv: Sequence[str], *, check: bool = True, tree: bool = False,
              env: dict[str, str] | None = None) -> Step:
        """Run one step under GNU time; past the deadline its process group is stopped and OverBudget raised.

        tree: the step starts processes GNU time may not see (Spark's JVM, a child of dbt that is not waited
        for): its peak RSS is then at least the sampled sum over the step's process tree (every second), its
        CPU time at least the sum of the last CPU times sampled per process of the tree."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise OverBudget(f"time budget spent before {name}")
        time_file = self.root / f"{name}.time"
        stopped = False
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(f"\n=== {self.result.label} {name}: {' '.join(argv)}\n")
            log.flush()
            busy, started = busy_jiffies(), time.perf_counter()
            proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", str(time_file), *argv], cwd=PROJECT_ROOT,
                                    env=env or self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            sampled = 0  # peak RSS sampled every second: the figure for a step stopped before GNU time reports
            ticks: dict[int, int] = {}  # tree: the last CPU time seen per process
            peak_parts = ""  # tree: the processes at the peak, for the log
            while True:
                if tree:
                    usage = tree_usage(proc.pid)
                    total = sum(rss for rss, _, _ in usage.values())
                    if total > sampled:
                        sampled = total
                        peak_parts = ", ".join(f"{name} {rss / 1024:,.0f} MiB" for rss, _, name in
                                               sorted(usage.values(), reverse=True) if rss)
                    ticks.update({pid: cpu for pid, (_, cpu, _) in usage.items()})
                else:
                    sampled = max(sampled, session_rss_kb(proc.pid))
                try:
                    status = proc.wait(1)  # returns as soon as the step ends
                    break
                except subprocess.TimeoutExpired:
                    pass
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    stopped = True
                    os.killpg(proc.pid, signal.SIGTERM)  # the step's own session / process group (started above)
                    try:
                        status = proc.wait(30)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
                        status = proc.wait()
                    break
            seconds = time.perf_counter() - started
            busy = busy_jiffies() - busy
            if tree:
                log.write(f"=== {self.result.label} {name}: peak RSS of the process tree by process: {peak_parts}\n")
        rss, cpu = gnu_time(time_file.read_text() if time_file.exists() else "")
        rss = max(rss, sampled) if tree else rss or sampled
        if tree:
            cpu = max(cpu, sum(ticks.values()) / os.sysconf("SC_CLK_TCK"))
        other = max(0.0, busy / os.sysconf("SC_CLK_TCK") - cpu) / seconds if cpu else 0.0
        step = Step(round(seconds, 2), rss, round(cpu, 2), round(other, 2), status, stopped=stopped)
        self.result.steps[name] = step
        self.save()
        print(f"bench {self.result.label}: {name} {seconds:.1f}s, peak RSS {rss / 1024:.0f} MiB"
              f"{'' if status == 0 else f', exit {status}'}{', stopped at the time budget' if stopped else ''}",
              flush=True)
        if stopped:
            raise OverBudget(f"time budget reached during {name}")
        if check and status != 0:
            raise BenchError(f"{name} failed (exit {status}); see {self.log}")
        return step

    def dbt(self, name: str, *args: str, scheduled: bool = False) -> Step:
        """A timed dbt step; `scheduled`: as `tokenledger build --scheduled` runs it (the month facts' data tests
        read the months the build rebuilt, TOKENLEDGER_TEST_SCOPE=rebuilt)."""
        env = {**self.env, "TOKENLEDGER_TEST_SCOPE": "rebuilt"} if scheduled else None
        step = self.timed(name, [*CLI, "dbt", *args, *self.dbt_paths], check=False, env=env)
        self.slowest_nodes(name)
        return step

    def slowest_nodes(self, name: str, count: int = 12) -> None:
        """The step's slowest nodes (dbt's run_results.json, kept as <size>/<step>.run_results.json) into the log."""
        results = self.work / "target" / "run_results.json"
        if not results.exists():
            return
        kept = self.root / f"{name}.run_results.json"
        shutil.copy2(results, kept)
        nodes = json.loads(kept.read_text(encoding="utf-8")).get("results", [])
        total = sum(float(n.get("execution_time") or 0) for n in nodes)
        slowest = sorted(nodes, key=lambda n: -float(n.get("execution_time") or 0))[:count]
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(f"=== {self.result.label} {name}: {len(nodes)} nodes, {total:.1f} s of node time; slowest: "
                      + ", ".join(f"{n['unique_id'].split('.')[-1]} {float(n['execution_time']):.1f}s" for n in slowest) + "\n")

    def untimed_dbt(self, *args: str, spark: bool = False) -> None:
        subprocess.run([*CLI, "dbt", *args, *(self.spark_dbt_paths if spark else self.dbt_paths)], cwd=PROJECT_ROOT,
                       env=self.spark_env if spark else self.env, check=True, stdout=subprocess.DEVNULL)

    def scalar(self, sql: str) -> Any:
        with connect(self.db, read_only=True) as con:
            return con.execute(sql).fetchone()[0]  # type: ignore[index]

    def generate(self, name: str, out: Path, *extra: str) -> None:
        self.timed(name, [PYTHON, str(TOOLS / "generate_events.py"), "--events", str(self.result.events),
                          "--months", str(MONTHS), "--seed", str(SEED), "--start", START.isoformat(), "--out", str(out),
                          *extra])

    def ingest(self, name: str, files: list[Path], *tables: str) -> None:
        count = " + ".join(f"(select count(*) from {table})" for table in tables)
        before = self.scalar(f"select {count}") if self.db.exists() else 0
        self.timed(name, [*CLI, "ingest", "--db", str(self.db), *map(str, files)])
        self.result.steps[name].rows = self.scalar(f"select {count}") - before
        self.save()

    def baseline(self, name: str, kind: str) -> None:
        self.timed(name, [PYTHON, str(Path(__file__).resolve()), "baseline", kind, str(self.db),
                          str(self.root / f"{name}.json")])

    def compare(self, name: str) -> None:
        """The baseline's output against marts.fct_team_monthly_spend: every (month, team), cost exactly, cents."""
        rows = json.loads((self.root / f"{name}.json").read_text())
        got = {(date.fromisoformat(m), t): (Decimal(c), n) for m, t, c, n in rows}
        with connect(self.db, read_only=True) as con:
            want = {(m, t): (c, int(n)) for m, t, c, n in con.execute(
                "select month, team_id, cost_usd, cost_cents from marts.fct_team_monthly_spend").fetchall()}
        diff = [f"{m} {t}: marts {want.get((m, t))}, {name} {got.get((m, t))}"
                for m, t in sorted(set(got) | set(want)) if got.get((m, t)) != want.get((m, t))]
        self.result.matches[name] = not diff and bool(want)
        self.result.mismatches[name] = diff[:20]
        self.save()
        print(f"bench {self.result.label}: {name} {'equals' if not diff else 'DIFFERS FROM'} the marts "
              f"({len(want)} team-months{'' if not diff else f', {len(diff)} differ'})", flush=True)

    def keep_monthly(self) -> None:
        """DuckDB's marts.fct_team_monthly_spend as of its models-alone step: what Spark's must equal."""
        with connect(self.db, read_only=True) as con:
            rows = con.execute("select month, team_id, cost_usd, cost_cents from marts.fct_team_monthly_spend").fetchall()
        (self.root / "duckdb_monthly.json").write_text(json.dumps([(m.isoformat(), t, str(c), int(n))
                                                                   for m, t, c, n in rows]))

    def spark_rows(self, table: str) -> int:
        files = self.spark_lake / table
        if not any(files.glob("*.parquet")):
            return 0
        with duckdb.connect() as con:
            return int(con.execute(f"select count(*) from read_parquet('{files}/*.parquet')").fetchone()[0])  # type: ignore[index]

    def spark_ingest(self, name: str, files: list[Path], *tables: str) -> None:
        before = sum(self.spark_rows(t) for t in tables)
        self.timed(name, [*CLI, "ingest", "--target", "spark", *map(str, files)], tree=True, env=self.spark_env)
        self.result.steps[name].rows = sum(self.spark_rows(t) for t in tables) - before
        self.save()

    def spark_compare(self) -> None:
        """Spark's marts.fct_team_monthly_spend (its Parquet files, read with DuckDB) against DuckDB's: every
        (month, team), cost_usd as an exact Decimal, cost_cents."""
        want = {(date.fromisoformat(m), t): (Decimal(c), n)
                for m, t, c, n in json.loads((self.root / "duckdb_monthly.json").read_text())}
        files = self.spark_tables / "marts.db" / "fct_team_monthly_spend"
        with duckdb.connect() as con:
            con.execute("set TimeZone = 'UTC'")
            rows = con.execute(f"""select cast(month as date), team_id, cost_usd, cost_cents
                from read_parquet('{files}/**/*.parquet', hive_partitioning = true)""").fetchall()
        got = {(m, t): (c if isinstance(c, Decimal) else Decimal(str(c)), int(n)) for m, t, c, n in rows}
        diff = [f"{m} {t}: DuckDB {want.get((m, t))}, Spark {got.get((m, t))}"
                for m, t in sorted(set(got) | set(want)) if got.get((m, t)) != want.get((m, t))]
        if len(rows) != len(got):
            diff.insert(0, f"Spark has {len(rows) - len(got)} duplicate (month, team) rows")
        self.result.matches["spark"] = not diff and bool(want)
        self.result.mismatches["spark"] = diff[:20]
        self.save()
        print(f"bench {self.result.label}: Spark's fct_team_monthly_spend {'equals' if not diff else 'DIFFERS FROM'} "
              f"DuckDB's ({len(want)} team-months{'' if not diff else f', {len(diff)} differ'})", flush=True)

    def run_spark(self, gateway: list[Path], jobs: list[Path]) -> None:
        """The same files and models on the `spark` target: lake ingest, seeds (untimed), models alone."""
        self.result.spark = {"master": self.spark_env["TOKENLEDGER_SPARK_MASTER"],
                             "driver_memory": self.spark_env["TOKENLEDGER_SPARK_DRIVER_MEMORY"],
                             "shuffle_partitions": os.environ.get("TOKENLEDGER_SPARK_SHUFFLE_PARTITIONS", "4"),
                             "compared_with": "dbt_build" if self.quick else "dbt_run"}
        self.save()
        self.spark_root.mkdir(parents=True, exist_ok=True)
        self.untimed_dbt("parse", spark=True)
        # the same loads in the same order as on DuckDB: the same load ids, so the same dedupe winners
        self.spark_ingest("spark_ingest_gateway", gateway, "gateway_requests")
        self.spark_ingest("spark_ingest_jobs", jobs, "jobs_export")
        if self.quick:  # the quick build's selection, seeds included (as on DuckDB)
            self.timed("spark_dbt_build", [*CLI, "dbt", "build", "--full-refresh", "--select", *QUICK_SELECT,
                                           *self.spark_dbt_paths], check=False, tree=True, env=self.spark_env)
        else:
            self.untimed_dbt("seed", spark=True)  # DuckDB's models-alone step, too, runs on loaded seeds
            self.timed("spark_dbt_run", [*CLI, "dbt", "run", "--full-refresh", *self.spark_dbt_paths], check=False,
                       tree=True, env=self.spark_env)
        step = self.result.steps["spark_dbt_build" if self.quick else "spark_dbt_run"]
        if step.exit_status != 0:
            raise BenchError(f"the Spark build failed (exit {step.exit_status}); see {self.log}")
        self.spark_compare()

    def checks(self) -> None:
        """The generated data's scope (asserted: the baselines rely on it) and what it exercises."""
        queries = {
            "rejected_rows": "select count(*) from audit.rejected_rows",
            "retry_of_naming_a_retry": """select count(*) from intermediate.int_usage_attempts_unioned as a
                inner join intermediate.int_usage_attempts_unioned as b
                    on a.source = b.source and a.retry_of = b.attempt_id and b.retry_of is not null""",
            "time_of_day_price_sets": """select count(*) from seeds.price_sets as s
                inner join (select distinct model_provider_id, model_id from marts.fct_usage_events) as e
                    on s.provider_id = e.model_provider_id and s.model_id = e.model_id
                where s.start_time is not null""",
        }
        for name, sql in queries.items():
            self.result.checks[name] = self.scalar(sql)
        exercised = {
            "events": "select count(*) from marts.fct_usage_events",
            "attempts": "select count(*) from intermediate.int_usage_attempts_unioned",
            "retry_events": "select count(*) from marts.fct_usage_events where attempts > 1",
            "duplicate_copies": """select (select sum(copies - 1) from staging.stg_gateway__requests where copies > 1)
                + (select coalesce(sum(copies - 1), 0) from staging.stg_jobs__jobs where copies > 1)""",
            "unpriced_events": "select count(*) from marts.fct_usage_events where list_cost_usd is null",
            "discounted_events": "select count(*) from marts.fct_usage_events where discount_pct is not null",
            "batch_or_tier_variant_attempts": """select count(*) from intermediate.int_usage_attempts_priced
                where has_usage and (is_batch or service_tier in ('flex', 'priority'))""",
            "attempts_over_a_price_tier": """select count(*) from intermediate.int_usage_attempts_priced as a
                inner join (select provider_id, model_id, min(tier_start) as t from seeds.price_rates
                            where tier_start is not null group by all) as r
                    on a.model_provider_id = r.provider_id and a.model_id = r.model_id
                where a.has_usage and a.input_tokens > r.t""",
            "bases": """select string_agg(basis || ' ' || n, ', ' order by basis) from (
                select basis, count(*) as n from intermediate.int_usage_events_attributed group by 1)""",
            "shared_rule_methods": """select string_agg(rule_method || ' ' || n, ', ' order by rule_method) from (
                select rule_method, count(*) as n from intermediate.int_usage_events_attributed
                where basis = 'shared_rule' group by 1)""",
        }
        for name, sql in exercised.items():
            self.result.checks[name] = self.scalar(sql)
        self.save()
        broken = {name: self.result.checks[name] for name in queries if self.result.checks[name]}
        if broken:
            raise BenchError(f"the data is outside the baselines' scope: {broken}")

    def edit_owner(self) -> None:
        """The org edit: the busiest agent of the appended day changes owner from that day on (one row appended to
        the organisation's agent_directory.csv, the next team in teams.csv owning it)."""
        with connect(self.db, read_only=True) as con:
            busiest = con.execute(
                "select agent_id from intermediate.int_usage_events_attributed where event_date = ? and agent_in_directory "
                "group by agent_id order by count(*) desc, agent_id limit 1", [NEXT_DAY]).fetchone()
            agent = busiest[0] if busiest else None
            owner = con.execute("select team_id from seeds.agent_directory where agent = ? "
                                "order by effective_from desc limit 1", [agent]).fetchone()
            other = con.execute("select team_id from seeds.teams where team_id is distinct from ? "
                                "and coalesce(merged_into, '') = '' order by team_id limit 1",
                                [owner[0] if owner else None]).fetchone()
            team = other[0] if other else None
        if agent is None or team is None:
            raise BenchError(f"no agent of {NEXT_DAY} to move")
        directory = self.org / "agent_directory.csv"
        text = directory.read_text(encoding="utf-8")
        directory.write_text(text + ("" if text.endswith("\n") else "\n") + f"{agent},{team},{NEXT_DAY.isoformat()}\n",
                             encoding="utf-8")
        self.result.org_edit = f"{agent} owned by {team} from {NEXT_DAY}"
        self.save()

    def run(self) -> None:
        """Cheap, decisive figures first (a time budget may stop the run): ingest, baselines, full build, the rest."""
        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "tmp").mkdir(parents=True)
        shutil.copytree(SAMPLE_ORG, self.org)
        data = self.root / "data"
        self.generate("generate", data, "--split", "month")
        gateway, jobs = sorted(data.glob("gateway-*")), sorted(data.glob("jobs-*"))
        self.result.data_bytes = {"gateway": sum(p.stat().st_size for p in gateway),
                                  "jobs": sum(p.stat().st_size for p in jobs)}
        # dbt parses the project once per profile (the warehouse path is part of it): not part of any timing
        self.untimed_dbt("parse")
        self.ingest("ingest_gateway", gateway, "raw.gateway_requests")
        self.ingest("ingest_jobs", jobs, "raw.jobs_export")
        self.untimed_dbt("seed")  # the baselines read the seed tables (the full build below reloads them)
        self.baseline("floor", "floor")
        self.baseline("pandas", "pandas")
        if self.quick:
            self.dbt("dbt_build", "build", "--full-refresh", "--select", *QUICK_SELECT)
        else:
            self.dbt("dbt_build", "build", "--full-refresh", *PRODUCTION, scheduled=True)
        self.checks()
        self.compare("floor")
        self.compare("pandas")
        if self.quick:
            if self.spark:
                self.keep_monthly()
                self.run_spark(gateway, jobs)
            return
        self.dbt("dbt_run", "run", "--full-refresh")
        if self.spark:
            self.keep_monthly()
        self.generate("generate_day", self.root / "next", "--only-day", NEXT_DAY.isoformat())
        self.ingest("ingest_day", sorted((self.root / "next").iterdir()), "raw.gateway_requests", "raw.jobs_export")
        self.dbt("dbt_build_incremental", "build", *PRODUCTION, scheduled=True)
        self.baseline("floor_after_incremental", "floor")
        self.compare("floor_after_incremental")
        self.dbt("dbt_build_noop", "build", *PRODUCTION, scheduled=True)
        self.edit_owner()
        self.dbt("dbt_build_org_edit", "build", *PRODUCTION, scheduled=True)
        self.baseline("floor_after_org_edit", "floor")
        self.compare("floor_after_org_edit")
        if self.spark:
            self.run_spark(gateway, jobs)


# ------------------------------------------------------------------------------------------------
# RESULTS.md
# ------------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    return {"cores": os.cpu_count(), "ram_gib": round(mem_kb / 1024**2, 1),
            "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
            "kernel": f"{platform.system()} {platform.release()}"}


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "numpy"):
        found[package] = version(package)
    for package in ("dbt-spark", "pyspark"):  # the Spark extra (make setup-spark), when installed
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    return found


def ratio(a: Step | None, b: Step | None) -> tuple[float, bool] | None:
    """a / b in wall time, and whether it is only a lower bound (a was stopped at the time budget)."""
    if a is None or b is None or not b.seconds or b.stopped:
        return None
    return a.seconds / b.seconds, a.stopped


def targets(result: SizeResult, memory_limit: str) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for one size; met None when not measured or inconclusive."""
    s = result.steps
    rows: list[tuple[str, str, bool | None]] = []

    def add(name: str, measured: tuple[float, bool] | None, limit: float, fmt: str, below: bool = True) -> None:
        if measured is None:
            rows.append((name, "n/a", None))
            return
        value, lower_bound = measured
        met: bool | None = value <= limit if below else value >= limit
        if lower_bound and met:
            met = None  # the step was stopped: only a lower bound, which does not decide an upper limit
        rows.append((name, ("> " if lower_bound else "") + fmt.format(value), met))

    add("full build <= 2x the floor", ratio(s.get("dbt_build"), s.get("floor")), 2, "{:.2f}x")
    add("models alone <= 1.5x the floor", ratio(s.get("dbt_run"), s.get("floor")), 1.5, "{:.2f}x")
    incremental, full, noop = s.get("dbt_build_incremental"), s.get("dbt_build"), s.get("dbt_build_noop")
    add("incremental one-day build <= 0.10x a full build", ratio(incremental, full), 0.10, "{:.2f}x")
    if incremental is not None and noop is not None and not noop.stopped:
        allowed = max(0.10 * full.seconds, noop.seconds + 10) if full is not None and not full.stopped else noop.seconds + 10
        rows.append(("incremental one-day build <= max(0.10x a full build, a no-op build + 10 s)",
                     f"{'> ' if incremental.stopped else ''}{incremental.seconds:.1f} s (no-op {noop.seconds:.1f} s, "
                     f"allowed {allowed:.1f} s)", None if incremental.stopped else incremental.seconds <= allowed))
    else:
        rows.append(("incremental one-day build <= max(0.10x a full build, a no-op build + 10 s)", "n/a", None))
    add("org edit (one agent changes owner from the appended day) <= 0.40x a full build",
        ratio(s.get("dbt_build_org_edit"), full), 0.40, "{:.2f}x")
    for name in ("ingest_gateway", "ingest_jobs"):
        step = s.get(name)
        add(f"{name.replace('_', ' ')} >= 500k events/s (rows landed / s)",
            None if step is None or not step.rows else (step.rows / step.seconds, False), 500_000, "{:,.0f}/s",
            below=False)
    ours = [s[n] for n in ("ingest_gateway", "ingest_jobs", "dbt_build", "dbt_run", "ingest_day", "dbt_build_incremental",
                           "dbt_build_noop", "dbt_build_org_edit") if n in s and s[n].peak_rss_kb]
    peak = max((x.peak_rss_kb for x in ours), default=None)
    add("peak RSS <= 4 GiB (each ingest and dbt step)", None if peak is None else (peak / 1024**2, False), 4,
        "{:.2f} GiB")
    pandas = s.get("pandas")
    add("dbt build <= 0.5x pandas' time", ratio(s.get("dbt_build"), pandas), 0.5, "{:.2f}x pandas' time")
    add("dbt run <= 0.5x pandas' time", ratio(s.get("dbt_run"), pandas), 0.5, "{:.2f}x pandas' time")
    dbt_rss = max((s[n].peak_rss_kb for n in ("dbt_build", "dbt_run") if n in s and s[n].peak_rss_kb), default=None)
    add("dbt peak RSS <= 1/3 of pandas'",
        None if dbt_rss is None or pandas is None or not pandas.peak_rss_kb else (dbt_rss / pandas.peak_rss_kb, False),
        1 / 3, "{:.2f}x pandas' RSS")
    if result.events >= 50_000_000:
        limit_gib = parse_size(memory_limit.upper().removesuffix("GB")) if memory_limit.upper().endswith("GB") else None
        complete = not result.stopped and all(x.exit_status == 0 for x in s.values())
        bounded = None if peak is None or limit_gib is None else peak / 1024**2 <= limit_gib + 1
        rows.append((f"{result.label} completes with bounded memory (memory_limit {memory_limit})",
                     f"{'completed' if complete else 'did not complete'}, peak {0 if peak is None else peak / 1024**2:.2f} GiB",
                     complete and bool(bounded)))
    return rows


STEP_TITLES = {
    "generate": "generate (generate_events.py, not a target)",
    "ingest_gateway": "ingest gateway JSONL",
    "ingest_jobs": "ingest Jobs CSV",
    "dbt_build": "dbt build --full-refresh (models + data tests; unit tests run in CI)",
    "dbt_run": "dbt run --full-refresh (models alone)",
    "floor": "floor: one DuckDB query",
    "pandas": "pandas",
    "generate_day": "generate the next day (--only-day)",
    "ingest_day": "ingest the next day (both files)",
    "dbt_build_incremental": "dbt build after the appended day (models + the data tests a scheduled build runs)",
    "floor_after_incremental": "floor again, after the appended day",
    "dbt_build_noop": "scheduled dbt build with nothing new (no-op: dbt's fixed cost on this warehouse)",
    "dbt_build_org_edit": "scheduled dbt build after an org edit (one agent changes owner from the appended day)",
    "floor_after_org_edit": "floor again, after the org edit",
    "spark_ingest_gateway": "Spark: ingest gateway JSONL into the lake (--target spark)",
    "spark_ingest_jobs": "Spark: ingest Jobs CSV into the lake (--target spark)",
    "spark_dbt_run": "Spark: dbt run --full-refresh --target spark (models alone)",
    "spark_dbt_build": "Spark: the quick build --target spark (models alone)",
}
# Each Spark step and DuckDB's same step on the same files
SPARK_PAIRS = {"spark_ingest_gateway": "ingest_gateway", "spark_ingest_jobs": "ingest_jobs",
               "spark_dbt_run": "dbt_run", "spark_dbt_build": "dbt_build"}


def spark_lines(result: SizeResult) -> list[str]:
    """The Spark section of a size: each Spark step against DuckDB's same step, and the equality."""
    if not result.spark:
        return []
    sp, s = result.spark, result.steps
    equal = result.matches.get("spark")
    lines = ["", f"Spark (`--target spark`: dbt-spark, session method, {sp['master']}, driver memory "
             f"{sp['driver_memory']}, {sp['shuffle_partitions']} shuffle partitions) on the same files, after the "
             "DuckDB steps; peak RSS of the whole process tree, the JVM included:", "",
             "| step | Spark wall (s) | DuckDB wall (s) | Spark / DuckDB | Spark peak RSS (MiB) | DuckDB peak RSS (MiB) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, duck_name in SPARK_PAIRS.items():
        if name not in s:
            continue
        spark, duck = s[name], s.get(duck_name)
        measured = ratio(spark, duck)
        shown = ("n/a" if measured is None or equal is not True
                 else f"{'> ' if measured[1] else ''}{measured[0]:.2f}x")
        wall = f"> {spark.seconds:.1f}" if spark.stopped else f"{spark.seconds:.1f}"
        lines.append(f"| {STEP_TITLES[name].removeprefix('Spark: ')} | {wall} | "
                     f"{'n/a' if duck is None else f'{duck.seconds:.1f}'} | {shown} | {spark.peak_rss_kb / 1024:,.0f} | "
                     f"{'n/a' if duck is None or not duck.peak_rss_kb else f'{duck.peak_rss_kb / 1024:,.0f}'} |")
    lines.append("")
    if equal is None:
        lines.append("- Spark's `marts.fct_team_monthly_spend`: not compared (the Spark run did not finish)")
    else:
        lines.append(f"- Spark's `marts.fct_team_monthly_spend` (its Parquet files read with DuckDB) against DuckDB's "
                     f"after `{sp['compared_with'].replace('_', ' ')}` (every (month, team), cost_usd as an exact "
                     f"decimal, cost_cents): {'**equal**' if equal else '**DIFFERS** (no ratio counts)'}")
        lines += [f"  - {d}" for d in result.mismatches.get("spark", [])]
    return lines


BASELINE_NOTES = """
## The baselines: same landed data, same semantics

Both read only the raw landed tables (`raw.gateway_requests.raw_line`, `raw.jobs_export`) and the seed tables
(`seeds.price_*` from `seeds/prices/*.csv`, `teams`, `agent_directory`, `api_keys`, `people`,
`shared_agent_rules`, `shared_agent_splits`, `team_headcount`, `price_overrides`), each in its own process, after
the ingest (and `dbt seed`, untimed). Both must produce `marts.fct_team_monthly_spend` exactly: every (month,
team) row, `cost_usd` to the last of its 24 decimals and `cost_cents`; the bench exits 1 otherwise.

- **Floor** (`FLOOR_SQL` in `bench/bench.py`): ONE DuckDB statement, with the profile's `memory_limit`. Gateway
  lines parsed once each (`json_transform`), the Jobs text columns cast; dedupe (the latest load wins, then the
  later line); retries collapsed to the root attempt's event (time and ownership from the first attempt, the
  model from the first billed attempt naming one, unpriced when any billed attempt is); genai-prices resolution
  (provider given or inferred, match rules in catalog order, fallback providers, the compact-date rewrite); price
  sets per (model, date, batch, service tier): the last active base set, per price key the first active matching
  variant (none through a fallback provider), tier cliffs on the request's total input, every bucket at its most
  specific priced key, exact `decimal(38, 24)`; the negotiated discount in force; the attribution spine (team tag,
  agent owner as of the date, team key, the person's team as of the date, shared rule, unattributed); shared
  splits (participants in force, else every team not merged away; even / headcount / usage / fixed weights;
  shares floored at 1e-12, the remainder to the largest weight, then the lowest team id); the monthly group with
  the `unattributed` row and largest-remainder cents. Hand-written shortcuts with the same results: the spine is
  evaluated once per distinct (date, tag, agent, key, user) combination (a few thousand) rather than per event,
  and single-attempt events skip the retry aggregation.
- **pandas** (`pandas_baseline`): the raw rows fetched in chunks of 250k, gateway lines parsed with `json.loads`;
  `drop_duplicates` after a (load, line) sort; model resolution and price contexts in Python over the distinct
  references and contexts, rates attached with a merge on the context's tier intervals; `merge_asof` for the
  discounts, agent owners, people and shared rules; `groupby`; shared splits per event with `Decimal`. Money:
  an attempt's cost in int64 pico-dollars, a discounted cost as pico-dollars plus an int64 atto-dollar remainder
  (exact), `Decimal` for the splits and the totals.

Restrictions (the generated data never exercises these; the bench asserts the first three on every run and
stops when one is violated; the pandas baseline raises on the fourth):
1. no rejected rows (`audit.rejected_rows` empty): neither baseline re-implements row validation;
2. `retry_of` always names the chain's root (no retry of a retry): the event id is `coalesce(retry_of, id)`;
3. no time-of-day price sets among the models used;
4. pandas only: every rate used is a whole number of pico-dollars per token (at most 6 decimals per million tokens);
5. not re-implemented, not enabled: the subsidy vars (`subsidized_environments` is empty by default).

The scope line of each size lists what the data does exercise (retries, second deliveries, unpriced models,
both discounts, batch and service-tier variants, requests over a long-context tier, every attribution basis and
all four shared-rule methods; the range also covers infra-oncall's owner change and a person's team change).
"""


def render(results: dict[str, Any], sizes: list[SizeResult], analysis: str,
           kept: dict[str, str] | None = None) -> str:
    """RESULTS.md: the sizes of this run, and `kept` (label: its section as it was) for the sizes not rerun."""
    m, v = results["machine"], results["versions"]
    kept = {key: text for key, text in (kept or {}).items() if key not in {section_key(r) for r in sizes}}
    lines = [
        "# Benchmark results", "",
        "Written by `make bench` (`bench/bench.py`; sizes 1M and 10M; `python bench/bench.py --size 50M` is optional).",
        "Every figure below comes from one run, on one machine, in one process tree (the bench's); every",
        "step is a subprocess timed by the bench (wall clock) and by GNU time (`/usr/bin/time -v`: peak RSS)."
        + (" Sizes marked *kept* were not rerun: their figures are from the earlier run named there."
           if kept else ""),
        "", "## Machine and versions", "",
        f"- Date: {results['date']}",
        f"- Machine: {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['cpu']}, {m['kernel']}",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- Settings: DuckDB memory_limit {results['memory_limit']} (profile, env TOKENLEDGER_MEMORY_LIMIT), "
        "dbt threads 2, temp_directory under bench/work (env TOKENLEDGER_TEMP_DIR); data: "
        f"`generate_events.py --months {MONTHS} --start {START} --seed {SEED} --split month` (plain JSONL); "
        f"the incremental day is {NEXT_DAY} (`--only-day`)"
        + (f"; time budget {results['budget_minutes']:g} minutes per size (`--budget-minutes`)."
           if results.get("budget_minutes") else "."),
        "- \"other cores\": the average number of cores busy with work outside the step during it (from /proc/stat minus",
        "  the step's own CPU time): the machine was shared with other work when this is above 0.",
        "",
    ]
    lines += [*BASELINE_NOTES.strip().splitlines(), ""]
    header = lines
    sections: dict[str, list[str]] = {key: [text.rstrip("\n"), ""] for key, text in kept.items()}
    for result in sizes:
        lines = sections.setdefault(section_key(result), [])
        lines += [f"## {result.label} events{QUICK_HEADING if result.quick else ''}", "",
                  f"Data: gateway {result.data_bytes.get('gateway', 0) / 1e9:.2f} GB, "
                  f"Jobs {result.data_bytes.get('jobs', 0) / 1e9:.2f} GB."
                  + (" A quick run (`--quick`): only the models the monthly totals need and their seeds, no data "
                     "tests, no incremental step." if result.quick else ""), "",
                  "| step | wall (s) | rows | rows/s | peak RSS (MiB) | CPU (s) | other cores | exit |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name, step in result.steps.items():
            rows = "" if step.rows is None else f"{step.rows:,}"
            rate = "" if not step.rows else f"{step.rows / step.seconds:,.0f}"
            rss = f"{step.peak_rss_kb / 1024:,.0f}" if step.peak_rss_kb else "n/a"
            wall = f"> {step.seconds:.1f} (stopped)" if step.stopped else f"{step.seconds:.1f}"
            cpu = "n/a" if step.stopped else f"{step.cpu_seconds:.1f}"
            other = "n/a" if step.stopped else f"{step.other_cores:.2f}"
            lines.append(f"| {STEP_TITLES.get(name, name)} | {wall} | {rows} | {rate} | {rss} | {cpu} | {other} | "
                         f"{'killed' if step.stopped else step.exit_status} |")
        if result.stopped:
            lines += ["", f"**Stopped:** {result.stopped}."]
        lines += ["", "Baselines against `marts.fct_team_monthly_spend` (cost_usd exactly, cost_cents, every (month, team)):", ""]
        for name in ("floor", "pandas", "floor_after_incremental", "floor_after_org_edit"):
            if name in result.matches:
                lines.append(f"- {name}: {'**equal**' if result.matches[name] else '**DIFFERENT**'}")
                lines += [f"  - {d}" for d in result.mismatches.get(name, [])]
            elif name in result.steps:
                lines.append(f"- {name}: not compared (no marts from this run)")
        if result.org_edit:
            lines.append(f"- the org edit: {result.org_edit}")
        lines += spark_lines(result)
        lines += ["", "Scope checks (asserted 0) and what the data exercises: "
                  + "; ".join(f"{k} {val}" for k, val in result.checks.items()) + ".", "",
                  "| target | measured | met |", "|---|---:|---|"]
        for name, measured, met in targets(result, results["memory_limit"]):
            lines.append(f"| {name} | {measured} | {'n/a' if met is None else 'pass' if met else '**miss**'} |")
        lines.append("")
    lines = header
    for key in sorted(sections, key=lambda key: (parse_size(key.split()[0]), key)):
        lines += sections[key]
    lines += [ANALYSIS_MARKER, analysis.strip(), ""]
    return "\n".join(lines)


QUICK_HEADING = " (quick run)"


def section_key(result: SizeResult) -> str:
    """A size's section in RESULTS.md: a quick run has its own (it does not replace a full run's figures)."""
    return result.label + (" quick" if result.quick else "")


def existing_sizes(path: Path) -> dict[str, str]:
    """The size sections (`## <size> events` up to the next heading) of an existing RESULTS.md by section key,
    each marked *kept* with the date of the run it comes from (once: a section kept twice keeps its first mark)."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8").split(ANALYSIS_MARKER, 1)[0]
    run_date = re.search(r"^- Date: (.+)$", text, re.MULTILINE)
    found: dict[str, str] = {}
    for match in re.finditer(rf"^## (\S+) events({re.escape(QUICK_HEADING)})?\n(.*?)(?=^## |\Z)", text,
                             re.MULTILINE | re.DOTALL):
        label, quick, body = match.group(1), match.group(2) or "", match.group(3).strip("\n")
        if not body.startswith("*Kept"):
            body = (f"*Kept from the run of {run_date.group(1) if run_date else 'an earlier date'} (not rerun since; "
                    "machine and versions may differ from the ones above).*\n\n" + body)
        found[label + (" quick" if quick else "")] = f"## {label} events{quick}\n\n{body}\n"
    return found


def existing_analysis(path: Path) -> str:
    if not path.exists():
        return "## Analysis\n\n(to be written from the figures above)"
    text = path.read_text(encoding="utf-8")
    return text.split(ANALYSIS_MARKER, 1)[1] if ANALYSIS_MARKER in text else ""


# ------------------------------------------------------------------------------------------------
# CLI
# ------------------------------------------------------------------------------------------------
def spark_wanted(events: int, spark_size: int, no_spark: bool) -> bool:
    """Whether a size gets the Spark step: up to --spark-size (default 1M), never with --no-spark."""
    return not no_spark and events <= spark_size


def memory_limit() -> str:
    """The DuckDB memory_limit a build uses: env TOKENLEDGER_MEMORY_LIMIT, else the profile's default."""
    if os.environ.get("TOKENLEDGER_MEMORY_LIMIT"):
        return os.environ["TOKENLEDGER_MEMORY_LIMIT"]
    profile = (PROJECT_ROOT / "profiles" / "profiles.yml").read_text()
    found = re.search(r"env_var\('TOKENLEDGER_MEMORY_LIMIT',\s*'([^']+)'\)", profile)
    if not found:
        raise SystemExit("profiles/profiles.yml has no TOKENLEDGER_MEMORY_LIMIT default")
    return found.group(1)


def run_baseline(kind: str, db: Path, out: Path) -> int:
    con = connect(db, read_only=True)
    con.execute(f"set memory_limit = '{memory_limit()}'")
    con.execute("set preserve_insertion_order = false")
    if os.environ.get("TOKENLEDGER_TEMP_DIR"):
        con.execute(f"set temp_directory = '{os.environ['TOKENLEDGER_TEMP_DIR']}'")
    rows = floor_baseline(con) if kind == "floor" else pandas_baseline(con)
    out.write_text(json.dumps([(m.isoformat(), t, str(c), n) for m, t, c, n in rows]))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["baseline"]:
        parser = argparse.ArgumentParser(prog="bench.py baseline")
        parser.add_argument("kind", choices=("floor", "pandas"))
        parser.add_argument("db", type=Path)
        parser.add_argument("out", type=Path)
        ns = parser.parse_args(args[1:])
        return run_baseline(ns.kind, ns.db, ns.out)
    parser = argparse.ArgumentParser(prog="bench.py", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=parse_size, action="append", help="events (20k, 1M, 10M, 50M); repeatable")
    parser.add_argument("--work", type=Path, default=PROJECT_ROOT / "bench" / "work", help="scratch directory")
    parser.add_argument("--results", type=Path, default=PROJECT_ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--budget-minutes", type=float, default=None,
                        help="per size: stop the step running at this wall time and report what was reached")
    parser.add_argument("--keep", action="store_true", help="keep the data and warehouses (default: deleted)")
    parser.add_argument("--quick", action="store_true",
                        help="only the models the monthly totals need, no tests, no incremental step (for the test)")
    parser.add_argument("--spark-size", type=parse_size, default=1_000_000, metavar="SIZE",
                        help="run the Spark step at sizes up to SIZE (default 1M)")
    parser.add_argument("--no-spark", action="store_true", help="no Spark step at any size")
    ns = parser.parse_args(args)
    work: Path = ns.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    log.write_text("")
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(), "versions": versions(),
        "memory_limit": memory_limit(), "budget_minutes": ns.budget_minutes,
        "sizes": {},
    }
    done: list[SizeResult] = []
    analysis = existing_analysis(ns.results)
    kept = existing_sizes(ns.results)

    def save() -> None:
        results["sizes"] = {r.label: asdict(r) for r in done}
        (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
        ns.results.parent.mkdir(parents=True, exist_ok=True)
        ns.results.write_text(render(results, done, analysis, kept), encoding="utf-8")

    failed = False
    for events in ns.size or [1_000_000, 10_000_000]:
        result = SizeResult(size_label(events), events, quick=ns.quick)
        done.append(result)
        deadline = None if ns.budget_minutes is None else time.monotonic() + ns.budget_minutes * 60
        runner = Runner(work, result, quick=ns.quick, log=log, deadline=deadline, save=save,
                        spark=spark_wanted(events, ns.spark_size, ns.no_spark))
        try:
            need = events * 2_500  # bytes: plain data (~0.75 KB per event), warehouse (~1.5 KB), spill headroom
            if shutil.disk_usage(work).free < need:
                raise BenchError(f"{shutil.disk_usage(work).free / 1e9:.0f} GB free under {work}, {need / 1e9:.0f} GB needed")
            runner.run()
        except OverBudget as exc:
            result.stopped = f"{exc} ({ns.budget_minutes:g} minutes per size)"
        except (BenchError, duckdb.Error, OSError, subprocess.CalledProcessError) as exc:
            result.stopped = f"failed: {exc}"
            failed = True
        finally:
            if not ns.keep:
                shutil.rmtree(runner.root, ignore_errors=True)
            save()
        if result.stopped:
            print(f"bench {result.label}: stopped: {result.stopped}", file=sys.stderr)
        if failed:
            break
    print(f"bench: wrote {ns.results} and {work / 'results.json'}")
    mismatch = [f"{r.label} {name}" for r in done for name, ok in r.matches.items() if not ok]
    if mismatch:
        print(f"bench: baselines differ from the marts: {', '.join(mismatch)}", file=sys.stderr)
    return 1 if failed or mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
