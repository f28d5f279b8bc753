{{ tl_month_fact_config('int_usage_events', drop_reprocessed=true) }}
{#-
  What-if costs of the savings rules, per event: one row per (event, opportunity, opportunity_key,
  scope_team_id). Every request is repriced by the ledger's own pricing (tl_catalog_context_rates
  and tl_catalog_list_cost, the macros int_usage_attempts_priced prices with: no second price table),
  from the columns the ledger keeps, so what-if and ledger cannot drift. The rules (docs/savings.md):
  - as_billed: every catalog-priced request in its own context (the control: its sum is the event's
    ledger list cost, tested);
  - batch: requests not sent as batch, of work in org/batch_eligible.csv (and, with
    var('savings_batch_unattended_jobs'), of Jobs-export requests with no user), on a model whose
    catalog entry has a batch price, repriced with `processing: batch`;
  - model_alternative: requests of a from-model in org/model_substitutes.csv, the same usage priced
    on the substitute on the request's date (its own time of day, tiers and variants);
  - cache: requests of a model with a target in org/cache_targets.csv, as if that share of their
    input had been read from the cache (moved from uncached text input to cache reads, floor);
  - long_context_cliff: requests whose total input crossed a tier threshold, priced at the rates just
    under it (the same tokens, the tier below);
  - output_outlier: requests above the var('savings_output_percentile') percentile of output tokens
    of their agent's catalog-priced requests that month (agents with at least
    var('savings_output_min_requests') of them), as if they had stopped at the percentile (excess
    removed from text output, then reasoning, then audio output);
  - retries_failures: billed requests that failed or were retried (not the event's last attempt);
    their whole cost is the saving (any pricing: custom-priced requests too).
  The effective side applies negotiated discounts (org/price_overrides.csv) on both sides: the
  event's own factor to the baseline, the substitute's own (provider, model) factor on the event's
  date to a model alternative. Custom-priced requests (price_source custom) are in retries_failures
  only. scope_team_id: the paying team the rule is limited to (NULL = any); a rule row with no team
  scope covers every team, so team-scoped copies of the same match are dropped.
  Incremental by month like the facts it reads (every rule is evaluated within one month): a build
  reprocesses the months of new loads, unloaded loads and moved configuration fingerprints
  (tl_reprocess_months_filter; the savings seeds and variables are part of the fingerprint).
-#}
{%- set output_quantile = var('savings_output_percentile', 95) / 100 -%}
{%- set output_min_requests = var('savings_output_min_requests', 20) -%}
{%- set string_type = api.Column.translate_type('string') -%}

with

attempts as (

    select * from {{ ref('int_usage_attempts_priced') }}
    where {{ tl_reprocess_months_filter(ref('int_usage_attempts_priced'), 'event_month', 'load_id', 'last_load_id', 'month') }}

),

events as (

    select * from {{ ref('int_usage_events') }}
    where {{ tl_reprocess_months_filter(ref('int_usage_events'), 'month', 'last_load_id', 'last_load_id', 'month') }}

),

price_sets as (

    select * from {{ ref('price_sets') }}

),

price_rates as (

    select * from {{ ref('price_rates') }}

),

batch_eligible as (

    select * from {{ ref('stg_org__batch_eligible') }}

),

substitutes as (

    select * from {{ ref('stg_org__model_substitutes') }}

),

cache_targets as (

    select * from {{ ref('stg_org__cache_targets') }}

),

overrides as (

    select * from {{ ref('stg_org__price_overrides') }}

),

time_of_day_models as (

    {{ tl_time_of_day_models('price_sets') }}

),

batch_models as (

    select distinct
        provider_id,
        model_id
    from price_sets
    where set_kind = 'variant' and when_processing = 'batch'

),

billed as (

    -- The catalog-priced requests that reported usage, each in its ledger price context.
    select
        attempts.attempt_key,
        attempts.event_key,
        attempts.event_month,
        attempts.occurred_at,
        attempts.provider,
        attempts.model_provider_id,
        attempts.model_id,
        attempts.agent,
        attempts.environment,
        attempts.source,
        attempts.user_email,
        attempts.is_batch,
        attempts.uncached_input_tokens,
        attempts.cache_read_tokens,
        attempts.cache_write_5m_tokens,
        attempts.cache_write_1h_tokens,
        attempts.output_tokens,
        attempts.reasoning_tokens,
        attempts.input_audio_tokens,
        attempts.output_audio_tokens,
        attempts.web_search_requests,
        attempts.input_tokens,
        attempts.list_cost_usd,
        cast(attempts.occurred_at as date) as price_date,
        case when tod.model_id is not null then {{ tl_time_of_day('attempts.occurred_at') }} end as price_time,
        case when attempts.is_batch then 'batch' end as ctx_processing,
        attempts.service_tier as ctx_service_tier,
        coalesce(attempts.model_provider_id = attempts.provider, false) as variants_enabled
    from attempts
    left join time_of_day_models as tod
        on attempts.model_provider_id = tod.provider_id
            and attempts.model_id = tod.model_id
    where attempts.has_usage and attempts.price_source = 'catalog'

),

rule_matches as (

    -- The requests each batch-eligible row and each substitute matches, with the row's team scope.
    select
        billed.attempt_key,
        'batch' as opportunity,
        billed.model_provider_id as to_provider,
        billed.model_id as to_model,
        batch_eligible.team_id as scope_team_id
    from billed
    inner join batch_models
        on billed.model_provider_id = batch_models.provider_id
            and billed.model_id = batch_models.model_id
    inner join batch_eligible
        on (batch_eligible.agent is null or billed.agent = batch_eligible.agent)
            and (batch_eligible.environment is null or billed.environment = batch_eligible.environment)
    where not billed.is_batch and billed.variants_enabled
    {%- if var('savings_batch_unattended_jobs', false) %}

    union all

    -- Unattended work: Jobs-export requests with no user (var savings_batch_unattended_jobs).
    select
        billed.attempt_key,
        'batch' as opportunity,
        billed.model_provider_id as to_provider,
        billed.model_id as to_model,
        cast(null as {{ string_type }}) as scope_team_id
    from billed
    inner join batch_models
        on billed.model_provider_id = batch_models.provider_id
            and billed.model_id = batch_models.model_id
    where not billed.is_batch and billed.variants_enabled and billed.source = 'jobs' and billed.user_email is null
    {%- endif %}

    union all

    select
        billed.attempt_key,
        'model_alternative' as opportunity,
        coalesce(substitutes.to_provider, billed.model_provider_id) as to_provider,
        substitutes.to_model,
        substitutes.team_id as scope_team_id
    from billed
    inner join substitutes
        on billed.model_id = substitutes.from_model
            and (substitutes.from_provider is null or billed.provider = substitutes.from_provider)
            and (substitutes.agent is null or billed.agent = substitutes.agent)
    where not (
            substitutes.to_model = billed.model_id
            and coalesce(substitutes.to_provider, billed.model_provider_id) = billed.model_provider_id
        )

),

scoped_matches as (

    select distinct
        attempt_key,
        opportunity,
        to_provider,
        to_model,
        scope_team_id
    from (
        select
            rule_matches.*,
            min(case when rule_matches.scope_team_id is null then 0 else 1 end) over (
                partition by rule_matches.attempt_key, rule_matches.opportunity, rule_matches.to_provider, rule_matches.to_model
            ) as scoped_only
        from rule_matches
    ) as flagged
    where scope_team_id is null or scoped_only = 1

),

cache_picks as (

    -- The request's cache target: its model's own row, else the provider-wide one.
    select
        billed.attempt_key,
        cache_targets.target_share,
        row_number() over (
            partition by billed.attempt_key
            order by case when cache_targets.model is null then 1 else 0 end
        ) as pick
    from billed
    inner join cache_targets
        on billed.provider = cache_targets.provider
            and (cache_targets.model is null or billed.model_id = cache_targets.model)

),

cache_shifts as (

    select
        billed.*,
        cache_picks.target_share,
        least(
            cast(floor(billed.input_tokens * cache_picks.target_share) as bigint) - billed.cache_read_tokens,
            billed.uncached_input_tokens - billed.input_audio_tokens
        ) as shifted_tokens
    from billed
    inner join cache_picks
        on billed.attempt_key = cache_picks.attempt_key
            and cache_picks.pick = 1

),

output_thresholds as (

    select
        agent,
        event_month,
        cast(percentile_disc({{ output_quantile }}) within group (order by output_tokens) as bigint) as threshold_tokens
    from billed
    where agent is not null
    group by agent, event_month
    having count(*) >= {{ output_min_requests }}

),

output_excess as (

    select
        billed.*,
        output_thresholds.threshold_tokens,
        least(
            billed.output_tokens - output_thresholds.threshold_tokens,
            billed.output_tokens - billed.reasoning_tokens - billed.output_audio_tokens
        ) as from_text_tokens,
        billed.output_tokens - output_thresholds.threshold_tokens as excess_tokens
    from billed
    inner join output_thresholds
        on billed.agent = output_thresholds.agent
            and billed.event_month = output_thresholds.event_month
    where billed.output_tokens > output_thresholds.threshold_tokens

),

output_trims as (

    select
        output_excess.*,
        least(output_excess.excess_tokens - output_excess.from_text_tokens, output_excess.reasoning_tokens) as from_reasoning_tokens
    from output_excess

),

requests as (

    select
        {{ tl_whatif_columns('billed', "'as_billed'", 'cast(null as ' ~ string_type ~ ')') }}
    from billed

    union all

    select
        {{ tl_whatif_columns(
            'billed', 'scoped_matches.opportunity',
            dbt.concat(['scoped_matches.to_provider', "'/'", 'scoped_matches.to_model']),
            'scoped_matches.scope_team_id',
            {
                'model_provider_id': 'scoped_matches.to_provider',
                'model_id': 'scoped_matches.to_model',
                'price_time': 'case when tod.model_id is not null then ' ~ tl_time_of_day('billed.occurred_at') ~ ' end',
                'ctx_processing': "case when scoped_matches.opportunity = 'batch' then 'batch' else billed.ctx_processing end",
                'variants_enabled': 'true',
            }
        ) }}
    from billed
    inner join scoped_matches
        on billed.attempt_key = scoped_matches.attempt_key
    left join time_of_day_models as tod
        on scoped_matches.to_provider = tod.provider_id
            and scoped_matches.to_model = tod.model_id

    union all

    select
        {{ tl_whatif_columns(
            'cache_shifts', "'cache'", dbt.concat(['cache_shifts.model_provider_id', "'/'", 'cache_shifts.model_id']),
            overrides={
                'uncached_input_tokens': 'cache_shifts.uncached_input_tokens - cache_shifts.shifted_tokens',
                'cache_read_tokens': 'cache_shifts.cache_read_tokens + cache_shifts.shifted_tokens',
                'cache_target_share': 'cache_shifts.target_share',
            }
        ) }}
    from cache_shifts
    where cache_shifts.shifted_tokens > 0

    union all

    select
        {{ tl_whatif_columns(
            'output_trims', "'output_outlier'", 'output_trims.agent',
            overrides={
                'output_tokens': 'output_trims.threshold_tokens',
                'reasoning_tokens': 'output_trims.reasoning_tokens - output_trims.from_reasoning_tokens',
                'output_audio_tokens':
                    'output_trims.output_audio_tokens - (output_trims.excess_tokens - output_trims.from_text_tokens'
                    ~ ' - output_trims.from_reasoning_tokens)',
            }
        ) }}
    from output_trims

),

keyed as (

    select
        requests.*,
        {{ tl_price_context_key() }} as context_key
    from requests

),

{{ tl_catalog_context_rates('keyed') }}

billed_tiers as (

    -- The tier interval each request is billed in; lower_bound >= 0: over a threshold.
    select
        keyed.attempt_key,
        context_rates.lower_bound
    from keyed
    inner join context_rates
        on keyed.context_key = context_rates.context_key
            and keyed.tier_input_tokens > context_rates.lower_bound
            and (context_rates.upper_bound is null or keyed.tier_input_tokens <= context_rates.upper_bound)
    where keyed.opportunity = 'as_billed'

),

all_requests as (

    select * from keyed

    union all

    select
        {{ tl_whatif_columns(
            'keyed', "'long_context_cliff'", dbt.concat(['keyed.model_provider_id', "'/'", 'keyed.model_id']),
            overrides={'tier_input_tokens': 'billed_tiers.lower_bound', 'ledger_list_cost_usd': 'keyed.ledger_list_cost_usd'}
        ) }},
        keyed.context_key
    from keyed
    inner join billed_tiers
        on keyed.attempt_key = billed_tiers.attempt_key
    where keyed.opportunity = 'as_billed' and billed_tiers.lower_bound >= 0

),

priced as (

    select
        all_requests.*,
        context_rates.context_key is not null as is_priced,
        {%- for key in tl_price_keys() %}
            context_rates.{{ key }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from all_requests
    left join context_rates
        on all_requests.context_key = context_rates.context_key
            and all_requests.tier_input_tokens > context_rates.lower_bound
            and (context_rates.upper_bound is null or all_requests.tier_input_tokens <= context_rates.upper_bound)

),

repriced as (

    select
        attempt_key,
        event_key,
        opportunity,
        opportunity_key,
        scope_team_id,
        model_provider_id,
        model_id,
        ledger_list_cost_usd,
        case when is_priced then {{ tl_catalog_list_cost() }} end as whatif_list_cost_usd,
        cache_target_share
    from priced

    union all

    -- Failed and retried requests that billed: the saving is their whole cost.
    select
        attempt_key,
        event_key,
        'retries_failures' as opportunity,
        case when is_failed then 'failed' else 'retried' end as opportunity_key,
        cast(null as {{ string_type }}) as scope_team_id,
        model_provider_id,
        model_id,
        list_cost_usd as ledger_list_cost_usd,
        cast(0 as {{ tl_money_type() }}) as whatif_list_cost_usd,
        cast(null as decimal(12, 6)) as cache_target_share
    from (
        select
            attempts.*,
            max(attempts.attempt_seq) over (partition by attempts.event_key) as last_attempt_seq
        from attempts
    ) as sequenced
    where has_usage and list_cost_usd is not null and (is_failed or attempt_seq < last_attempt_seq)

),

event_scenarios as (

    select
        event_key,
        opportunity,
        opportunity_key,
        scope_team_id,
        max(model_provider_id) as whatif_provider_id,
        max(model_id) as whatif_model_id,
        max(cache_target_share) as cache_target_share,
        count(*) as requests,
        sum(ledger_list_cost_usd) as baseline_list_cost_usd,
        case when count(whatif_list_cost_usd) = count(*) then sum(whatif_list_cost_usd) end as whatif_list_cost_usd
    from repriced
    group by event_key, opportunity, opportunity_key, scope_team_id

),

override_periods as (

    {{ tl_price_override_periods('overrides') }}

),

factored as (

    select
        event_scenarios.*,
        events.event_id,
        events.month,
        events.last_load_id,
        events.config_fingerprint,
        events.occurred_at,
        events.agent,
        events.provider,
        events.model_id,
        events.input_tokens,
        events.cache_read_tokens,
        {{ tl_cost_factor('coalesce(events.discount_pct, 0)') }} as baseline_cost_factor,
        case
            when event_scenarios.opportunity = 'model_alternative'
                then coalesce(model_override.cost_factor, provider_override.cost_factor, cast(1 as decimal(12, 6)))
            else {{ tl_cost_factor('coalesce(events.discount_pct, 0)') }}
        end as whatif_cost_factor
    from event_scenarios
    inner join events
        on event_scenarios.event_key = events.event_key
    left join override_periods as model_override
        on event_scenarios.opportunity = 'model_alternative'
            and event_scenarios.whatif_provider_id = model_override.provider
            and event_scenarios.whatif_model_id = model_override.model_id
            and {{ tl_in_force('cast(events.occurred_at as date)', 'model_override') }}
    left join override_periods as provider_override
        on event_scenarios.opportunity = 'model_alternative'
            and event_scenarios.whatif_provider_id = provider_override.provider
            and provider_override.model_id is null
            and {{ tl_in_force('cast(events.occurred_at as date)', 'provider_override') }}

),

final as (

    select
        event_key,
        event_id,
        month,
        occurred_at,
        opportunity,
        opportunity_key,
        scope_team_id,
        agent,
        provider,
        model_id,
        whatif_provider_id,
        whatif_model_id,
        cache_target_share,
        input_tokens,
        cache_read_tokens,
        requests,
        baseline_list_cost_usd,
        whatif_list_cost_usd,
        baseline_cost_factor,
        whatif_cost_factor,
        {{ tl_scale_money('baseline_list_cost_usd', 'baseline_cost_factor') }} as baseline_cost_usd,
        {{ tl_scale_money('whatif_list_cost_usd', 'whatif_cost_factor') }} as whatif_cost_usd,
        baseline_list_cost_usd - whatif_list_cost_usd as saving_list_usd,
        {{ tl_scale_money('baseline_list_cost_usd', 'baseline_cost_factor') }}
        - {{ tl_scale_money('whatif_list_cost_usd', 'whatif_cost_factor') }} as saving_usd,
        last_load_id,
        config_fingerprint
    from factored

)

select * from final
{{ tl_month_clustered() }}
