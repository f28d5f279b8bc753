{{ tl_event_fact_config('int_usage_attempts_unioned', 'event_month', 'load_id', 'load_id') }}
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
  Pricing is computed once per distinct context, then joined back: set-based, no row loops. Steps 2-4
  have one home, macros/pricing/catalog_rates.sql (tl_catalog_context_rates, tl_catalog_list_cost),
  shared with the what-if repricing of the savings opportunities.
  Money is exact: decimal(38, 24) (see macros/cross_db/money.sql).
  Custom prices (stg_org__custom_prices) come first: an attempt whose provider has a custom price
  matching its requested model (trimmed, lower-cased) in force on its UTC date is priced at those flat
  rates plus the per-request fee, whether or not the catalog knows the model (no tiers, variants or
  time-of-day windows). Of the rows in force, an exact match beats a prefix, a longer prefix a shorter
  one, and for the same model and match the latest effective_from wins. price_source says which
  priced the attempt: custom or catalog.
-#}
with

attempts as (

    select * from {{ ref('int_usage_attempts_unioned') }}
    where {{ tl_reprocess_days_filter(ref('int_usage_attempts_unioned'), 'event_month', 'load_id', 'load_id') }}

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

    {{ tl_time_of_day_models('price_sets') }}

),

attempts_resolved as (

    select
        attempts.*,
        coalesce(resolved_refs.provider_id, attempts.provider_hint) as provider,
        resolved_refs.model_provider_id,
        resolved_refs.model_id,
        resolved_refs.unpriced_reason as model_unpriced_reason,
        cast(attempts.occurred_at as date) as price_date,
        case when tod.model_id is not null then {{ tl_time_of_day('attempts.occurred_at') }} end as price_time,
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
                {{ tl_price_context_key() }}
        end as context_key
    from attempts_custom

),

{{ tl_catalog_context_rates('keyed') }}

priced as (

    select
        keyed.*,
        {%- for key in tl_price_keys() %}
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
        event_date,
        attempts_checksum,
        {{ tl_config_fingerprint('event_month') }} as config_fingerprint,
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
            else {{ tl_catalog_list_cost() }}
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
{{ tl_month_clustered('event_date') }}
