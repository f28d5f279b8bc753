{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='event_month', on_schema_change='fail',
          pre_hook="{{ tl_drop_unloaded_months('event_month') }}") }}
{#-
  Prices every attempt, per request, with genai-prices' semantics:
  1. price context = the model (after resolution), the request's UTC date (and time of day for
     models with time-of-day windows), `processing: batch` for batch requests and the raw
     `service_tier`. Variants are ignored when the model came from a fallback provider.
  2. base prices = the LAST conditional price set whose constraint (start date / time window) is
     active, else the first; then, per price key, the FIRST active variant matching the context
     that prices that key overrides it.
  3. tiers are cliffs on the request's total input tokens: over a threshold, all of that
     request's tokens of that price key use the tier rate.
  4. each canonical bucket is priced at its most specific priced key (cache reads at the cache
     read price, else the input price; 1h cache writes at the 1h price, else the cache write
     price, else input ...), which is genai-prices' leaf decomposition of the usage.
  Pricing is computed once per distinct context, then joined back: set-based, no row loops.
  Money is exact: decimal(38, 24) (see macros/cross_db/money.sql).
  Custom prices (stg_org__custom_prices) come first: an attempt whose provider has a custom price
  matching its requested model (trimmed, lower-cased) in force on its UTC date is priced at those flat
  rates plus the per-request fee, whether or not the catalog knows the model (no tiers, variants or
  time-of-day windows). Of the rows in force, an exact match beats a prefix, a longer prefix a shorter
  one, and for the same model and match the latest effective_from wins. price_source says which
  priced the attempt: custom or catalog.
-#}
{%- set keys = [
    'input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_5m_mtok',
    'cache_write_1h_mtok', 'input_audio_mtok', 'output_audio_mtok', 'output_reasoning_mtok',
    'web_searches_kcount', 'requests_kcount'
] -%}

with

attempts as (

    -- depends_on: {{ ref('stg_org__closed_months') }}, {{ ref('int_load_months') }},
    -- {{ ref('stg_ingest__load_unloads') }} (read by the incremental filter and the pre-hook)
    select * from {{ ref('int_usage_attempts_unioned') }}
    where {{ tl_reprocess_months_filter(ref('int_usage_attempts_unioned'), 'event_month', 'load_id', 'load_id') }}

),

resolved_refs as (

    select * from {{ ref('int_model_refs_resolved') }}

),

price_sets as (

    select * from {{ ref('price_sets') }}

),

price_rates as (

    select * from {{ ref('price_rates') }}

),

custom_prices as (

    select * from {{ ref('stg_org__custom_prices') }}

),

time_of_day_models as (

    select distinct
        provider_id,
        model_id
    from price_sets
    where start_time is not null

),

attempts_resolved as (

    select
        attempts.*,
        coalesce(resolved_refs.provider_id, attempts.provider_hint) as provider,
        resolved_refs.model_provider_id,
        resolved_refs.model_id,
        resolved_refs.unpriced_reason as model_unpriced_reason,
        cast(attempts.occurred_at as date) as price_date,
        case when tod.model_id is not null then cast(attempts.occurred_at as time) end as price_time,
        case when attempts.is_batch then 'batch' end as ctx_processing,
        attempts.service_tier as ctx_service_tier,
        coalesce(resolved_refs.model_provider_id = resolved_refs.provider_id, false) as variants_enabled
    from attempts
    left join resolved_refs
        on attempts.provider_hint is not distinct from resolved_refs.provider_hint
            and attempts.model_requested = resolved_refs.model_requested
    left join time_of_day_models as tod
        on resolved_refs.model_provider_id = tod.provider_id
            and resolved_refs.model_id = tod.model_id

),

custom_contexts as (

    select distinct
        provider,
        lower(trim(model_requested)) as model_ref,
        price_date
    from attempts_resolved
    where has_usage and provider is not null and model_requested is not null

),

custom_picks as (

    -- The custom price of each (provider, model, date): the most specific row in force, then the latest.
    select *
    from (
        select
            custom_contexts.provider,
            custom_contexts.model_ref,
            custom_contexts.price_date,
            custom_prices.model,
            custom_prices.match,
            custom_prices.effective_from,
            custom_prices.input_mtok,
            custom_prices.cache_read_mtok,
            custom_prices.cache_write_5m_mtok,
            custom_prices.cache_write_1h_mtok,
            custom_prices.output_mtok,
            custom_prices.input_audio_mtok,
            custom_prices.output_audio_mtok,
            custom_prices.request_usd,
            row_number() over (
                partition by custom_contexts.provider, custom_contexts.model_ref, custom_contexts.price_date
                order by
                    case when custom_prices.match = 'exact' then 0 else 1 end,
                    length(custom_prices.model) desc,
                    custom_prices.effective_from desc
            ) as pick
        from custom_contexts
        inner join custom_prices
            on custom_contexts.provider = custom_prices.provider
                and custom_contexts.price_date >= custom_prices.effective_from
                and (
                    (custom_prices.match = 'exact' and custom_contexts.model_ref = custom_prices.model)
                    or (
                        custom_prices.match = 'prefix'
                        and substr(custom_contexts.model_ref, 1, length(custom_prices.model)) = custom_prices.model
                    )
                )
    ) as ranked
    where pick = 1

),

attempts_custom as (

    select
        attempts_resolved.*,
        custom.model as custom_price_model,
        custom.match as custom_price_match,
        custom.effective_from as custom_price_from,
        custom.input_mtok as custom_input_mtok,
        custom.cache_read_mtok as custom_cache_read_mtok,
        custom.cache_write_5m_mtok as custom_cache_write_5m_mtok,
        custom.cache_write_1h_mtok as custom_cache_write_1h_mtok,
        custom.output_mtok as custom_output_mtok,
        custom.input_audio_mtok as custom_input_audio_mtok,
        custom.output_audio_mtok as custom_output_audio_mtok,
        custom.request_usd as custom_request_usd
    from attempts_resolved
    left join custom_picks as custom
        on attempts_resolved.has_usage
            and attempts_resolved.provider = custom.provider
            and lower(trim(attempts_resolved.model_requested)) = custom.model_ref
            and attempts_resolved.price_date = custom.price_date

),

keyed as (

    select
        *,
        case when model_id is not null and has_usage and custom_price_model is null then
            {{ dbt.concat([
                'model_provider_id', "'|'", 'model_id', "'|'", dbt.cast('price_date', api.Column.translate_type('string')),
                "'|'", "coalesce(" ~ dbt.cast('price_time', api.Column.translate_type('string')) ~ ", '')",
                "'|'", "coalesce(ctx_processing, '')", "'|'", "coalesce(ctx_service_tier, '')",
                "'|'", "case when variants_enabled then 'v' else '' end"
            ]) }}
        end as context_key
    from attempts_custom

),

contexts as (

    select distinct
        context_key,
        model_provider_id,
        model_id,
        price_date,
        price_time,
        ctx_processing,
        ctx_service_tier,
        variants_enabled
    from keyed
    where context_key is not null

),

set_activity as (

    select
        contexts.context_key,
        price_sets.provider_id,
        price_sets.model_id,
        price_sets.price_set_id,
        price_sets.set_kind,
        price_sets.set_order,
        contexts.variants_enabled
        and price_sets.when_other is null
        and (price_sets.when_processing is not null or price_sets.when_service_tier is not null)
        and (price_sets.when_processing is null or price_sets.when_processing = contexts.ctx_processing)
        and (price_sets.when_service_tier is null or price_sets.when_service_tier = contexts.ctx_service_tier)
            as matches_context,
        (price_sets.start_date is null or contexts.price_date >= price_sets.start_date)
        and (
            price_sets.start_time is null
            or case
                when price_sets.start_time <= price_sets.end_time
                    then contexts.price_time >= price_sets.start_time and contexts.price_time < price_sets.end_time
                else contexts.price_time >= price_sets.start_time or contexts.price_time < price_sets.end_time
            end
        ) as is_active
    from contexts
    inner join price_sets
        on contexts.model_provider_id = price_sets.provider_id
            and contexts.model_id = price_sets.model_id

),

base_sets as (

    -- The last active conditional price set; the first one when none is active.
    select
        context_key,
        provider_id,
        model_id,
        price_set_id,
        1000000 as priority,
        row_number() over (
            partition by context_key
            order by
                case when is_active then 0 else 1 end,
                case when is_active then -set_order else set_order end
        ) as pick
    from set_activity
    where set_kind = 'base'

),

candidate_sets as (

    select
        context_key,
        provider_id,
        model_id,
        price_set_id,
        priority
    from base_sets
    where pick = 1

    union all

    select
        context_key,
        provider_id,
        model_id,
        price_set_id,
        set_order as priority
    from set_activity
    where set_kind = 'variant' and is_active and matches_context

),

key_sources as (

    -- Per price key: the first matching variant that prices it, else the base set.
    select
        context_key,
        price_key,
        provider_id,
        model_id,
        price_set_id
    from (
        select
            candidate_sets.context_key,
            candidate_sets.provider_id,
            candidate_sets.model_id,
            candidate_sets.price_set_id,
            price_rates.price_key,
            row_number() over (
                partition by candidate_sets.context_key, price_rates.price_key
                order by candidate_sets.priority
            ) as pick
        from candidate_sets
        inner join price_rates
            on candidate_sets.provider_id = price_rates.provider_id
                and candidate_sets.model_id = price_rates.model_id
                and candidate_sets.price_set_id = price_rates.price_set_id
        where price_rates.tier_start is null
    ) as ranked
    where pick = 1

),

key_tiers as (

    select
        key_sources.context_key,
        key_sources.price_key,
        coalesce(price_rates.tier_start, -1) as tier_start,
        price_rates.price_usd
    from key_sources
    inner join price_rates
        on key_sources.provider_id = price_rates.provider_id
            and key_sources.model_id = price_rates.model_id
            and key_sources.price_set_id = price_rates.price_set_id
            and key_sources.price_key = price_rates.price_key

),

thresholds as (

    select distinct
        context_key,
        tier_start as lower_bound
    from key_tiers

    union

    select
        context_key,
        -1 as lower_bound
    from contexts

),

intervals as (

    select
        context_key,
        lower_bound,
        lead(lower_bound) over (partition by context_key order by lower_bound) as upper_bound
    from thresholds

),

interval_key_rates as (

    -- Each key's rate for requests whose total input is in (lower_bound, upper_bound].
    select
        intervals.context_key,
        intervals.lower_bound,
        intervals.upper_bound,
        key_tiers.price_key,
        key_tiers.price_usd,
        row_number() over (
            partition by intervals.context_key, intervals.lower_bound, key_tiers.price_key
            order by key_tiers.tier_start desc
        ) as pick
    from intervals
    inner join key_tiers
        on intervals.context_key = key_tiers.context_key
            and intervals.lower_bound >= key_tiers.tier_start

),

context_rates as (

    select
        context_key,
        lower_bound,
        upper_bound,
        {%- for key in keys %}
            max(case when price_key = '{{ key }}' then price_usd end) as {{ key }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from interval_key_rates
    where pick = 1
    group by 1, 2, 3

),

priced as (

    select
        keyed.*,
        {%- for key in keys %}
            context_rates.{{ key }},
        {%- endfor %}
        case
            when not keyed.has_usage then 'no_usage'
            when keyed.custom_price_model is not null then null
            when keyed.model_unpriced_reason is not null then keyed.model_unpriced_reason
        end as price_status
    from keyed
    left join context_rates
        on keyed.context_key = context_rates.context_key
            and keyed.input_tokens > context_rates.lower_bound
            and (context_rates.upper_bound is null or keyed.input_tokens <= context_rates.upper_bound)

),

final as (

    select
        attempt_key,
        event_key,
        source,
        attempt_id,
        event_id,
        attempt_number,
        attempt_seq,
        occurred_at,
        provider,
        provider_hint,
        model_requested,
        model_provider_id,
        model_id,
        is_failed,
        has_usage,
        response_id,
        is_batch,
        service_tier,
        agent,
        api_key_id,
        user_email,
        tag_team,
        project,
        environment,
        customer,
        uncached_input_tokens,
        cache_read_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        output_tokens,
        reasoning_tokens,
        input_audio_tokens,
        output_audio_tokens,
        web_search_requests,
        input_tokens,
        source_input_tokens,
        load_id,
        event_month,
        case when price_status = 'no_usage' then null else price_status end as unpriced_reason,
        case
            when price_status = 'no_usage' then cast(0 as {{ tl_money_type() }})
            when price_status is not null then null
            when custom_price_model is not null
                then
                    coalesce({{ tl_cost('uncached_input_tokens - input_audio_tokens', 'custom_input_mtok', 1000000) }}, 0)
                    + coalesce({{ tl_cost('input_audio_tokens', 'custom_input_audio_mtok', 1000000) }}, 0)
                    + coalesce({{ tl_cost('cache_read_tokens', 'custom_cache_read_mtok', 1000000) }}, 0)
                    + coalesce({{ tl_cost('cache_write_5m_tokens', 'custom_cache_write_5m_mtok', 1000000) }}, 0)
                    + coalesce({{ tl_cost('cache_write_1h_tokens', 'custom_cache_write_1h_mtok', 1000000) }}, 0)
                    + coalesce({{ tl_cost('output_tokens - output_audio_tokens', 'custom_output_mtok', 1000000) }}, 0)
                    + coalesce({{ tl_cost('output_audio_tokens', 'custom_output_audio_mtok', 1000000) }}, 0)
                    + cast(custom_request_usd as {{ tl_money_type() }})
            else
                coalesce({{ tl_cost('uncached_input_tokens - input_audio_tokens', 'input_mtok', 1000000) }}, 0)
                + coalesce({{ tl_cost('input_audio_tokens', 'coalesce(input_audio_mtok, input_mtok)', 1000000) }}, 0)
                + coalesce({{ tl_cost('cache_read_tokens', 'coalesce(cache_read_mtok, input_mtok)', 1000000) }}, 0)
                + coalesce(
                    {{ tl_cost('cache_write_5m_tokens', 'coalesce(cache_write_5m_mtok, cache_write_mtok, input_mtok)', 1000000) }}, 0
                )
                + coalesce(
                    {{ tl_cost('cache_write_1h_tokens', 'coalesce(cache_write_1h_mtok, cache_write_mtok, input_mtok)', 1000000) }}, 0
                )
                + coalesce({{ tl_cost('output_tokens - reasoning_tokens - output_audio_tokens', 'output_mtok', 1000000) }}, 0)
                + coalesce({{ tl_cost('reasoning_tokens', 'coalesce(output_reasoning_mtok, output_mtok)', 1000000) }}, 0)
                + coalesce({{ tl_cost('output_audio_tokens', 'coalesce(output_audio_mtok, output_mtok)', 1000000) }}, 0)
                + coalesce({{ tl_cost('web_search_requests', 'web_searches_kcount', 1000) }}, 0)
                + coalesce({{ tl_cost('1', 'requests_kcount', 1000) }}, 0)
        end as list_cost_usd,
        case
            when price_status is not null then null
            when custom_price_model is not null then 'custom'
            else 'catalog'
        end as price_source,
        custom_price_model,
        custom_price_match,
        custom_price_from
    from priced

)

select * from final
