{#- The catalog's price keys (columns of tl_catalog_context_rates' context_rates). -#}
{% macro tl_price_keys() -%}
    {{ return([
        'input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_5m_mtok',
        'cache_write_1h_mtok', 'input_audio_mtok', 'output_audio_mtok', 'output_reasoning_mtok',
        'web_searches_kcount', 'requests_kcount'
    ]) }}
{%- endmacro %}

{#-
  The price catalog's rates for each price context, genai-prices' semantics: the one home of the
  catalog pricing rules, used by the ledger (int_usage_attempts_priced) and by every what-if
  repricing (int_savings_scenarios), so the two cannot drift.

  A price context is (model_provider_id, model_id, price_date, price_time, ctx_processing,
  ctx_service_tier, variants_enabled), keyed by tl_price_context_key(). Given `requests`, the name
  of a CTE with those columns and context_key (NULL = not priced from the catalog), the macro emits
  the CTEs `contexts` ... `context_rates`, each followed by a comma; the caller must have the import
  CTEs `price_sets` and `price_rates` before it and continues with its own CTEs after it.
  context_rates has one row per (context_key, lower_bound, upper_bound) tier interval and one
  column per price key (tl_price_keys()): the rate for a request whose total input tokens are in
  (lower_bound, upper_bound]. Steps:
  1. base prices = the LAST conditional price set whose constraint (start date / time window) is
     active, else the first; then, per price key, the FIRST active variant matching the context
     that prices that key overrides it.
  2. tiers are cliffs on the request's total input tokens: over a threshold, all of that
     request's tokens of that price key use the tier rate.
-#}
{% macro tl_catalog_context_rates(requests) -%}
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
    from {{ requests }}
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
        {%- for key in tl_price_keys() %}
            max(case when price_key = '{{ key }}' then price_usd end) as {{ key }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from interval_key_rates
    where pick = 1
    group by 1, 2, 3

),
{%- endmacro %}

{#- The key of a price context (see tl_catalog_context_rates) over its unqualified columns. -#}
{% macro tl_price_context_key() -%}
    {{ dbt.concat([
        'model_provider_id', "'|'", 'model_id', "'|'", dbt.cast('price_date', api.Column.translate_type('string')),
        "'|'", "coalesce(" ~ dbt.cast('price_time', api.Column.translate_type('string')) ~ ", '')",
        "'|'", "coalesce(ctx_processing, '')", "'|'", "coalesce(ctx_service_tier, '')",
        "'|'", "case when variants_enabled then 'v' else '' end"
    ]) }}
{%- endmacro %}

{#-
  A request's list cost from its catalog rates (the columns of context_rates) and its canonical
  token buckets (unqualified columns), exact in tl_money_type(): each bucket at its most specific
  priced key (cache reads at the cache-read price, else the input price; 1h cache writes at the 1h
  price, else the cache-write price, else input; reasoning at the reasoning price, else output ...),
  genai-prices' leaf decomposition of the usage; plus web searches and the per-request fee.
-#}
{% macro tl_catalog_list_cost() -%}
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
{%- endmacro %}

{#- The catalog models with time-of-day price windows: a select over `price_sets` (a CTE name). -#}
{% macro tl_time_of_day_models(price_sets) -%}
    select distinct
        provider_id,
        model_id
    from {{ price_sets }}
    where start_time is not null
{%- endmacro %}
