{{ tl_event_fact_config('int_usage_attempts_priced', 'event_month', 'load_id', 'last_load_id', 'month') }}
{#-
  The canonical usage event (marts.fct_usage_events publishes it; attribution reads it here).
  One row per logical usage event: a request and its retries (attempts linked by retry_of) are one
  event keyed by the first attempt's id. Tokens and cost are summed over the attempts that reported
  usage, whatever their status; attempts without usage cost nothing. Time, model and ownership
  fields come from the first attempt. If any billed attempt is unpriced, the event is unpriced
  (list_cost_usd NULL with the reason), never a partial sum and never $0.
  cost_usd is the effective cost: list cost less the negotiated discount (org/price_overrides.csv)
  in force on the event's UTC date for its provider and model (a model's own row wins over a
  provider-wide one); equal to list cost when no discount applies. Exact: the cost's part at 1e-12
  times the factor is exact at scale 18, the residue below 1e-12 is scaled and rounded at 1e-24.
  An event priced from a custom price (price_source custom) is already at the price paid: a
  provider-wide discount does not apply to it, only a row naming its model (its catalog model id,
  or the requested model, trimmed and lower-cased, when the catalog does not know it).
-#}
with

attempts as (

    select * from {{ ref('int_usage_attempts_priced') }}
    where {{ tl_reprocess_days_filter(ref('int_usage_attempts_priced'), 'event_month', 'load_id', 'last_load_id', 'month') }}

),

rolled_up as (

    select
        event_key,
        count(*) as attempts,
        sum(case when has_usage then 1 else 0 end) as billed_attempts,
        sum(case when is_failed then 1 else 0 end) as failed_attempts,
        sum(uncached_input_tokens) as uncached_input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_5m_tokens) as cache_write_5m_tokens,
        sum(cache_write_1h_tokens) as cache_write_1h_tokens,
        sum(output_tokens) as output_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(input_audio_tokens) as input_audio_tokens,
        sum(output_audio_tokens) as output_audio_tokens,
        sum(web_search_requests) as web_search_requests,
        sum(input_tokens) as input_tokens,
        sum(source_input_tokens) as source_input_tokens,
        sum(case when has_usage and list_cost_usd is null then 1 else 0 end) as unpriced_attempts,
        sum(list_cost_usd) as priced_cost_usd,
        max(load_id) as last_load_id,
        sum(attempts_checksum) as attempts_checksum,
        min(case when has_usage and list_cost_usd is null then unpriced_reason end) as unpriced_reason
    from attempts
    group by 1

),

first_attempts as (

    select * from attempts
    where attempt_seq = 1

),

-- The model (and provider, batch flag, service tier) of the event: the first billed attempt that
-- names a model, else the first attempt naming one, else the first attempt. A retry group whose
-- first try failed before reaching a model is still reported under the model it was billed for.
model_attempts as (

    select *
    from (
        select
            event_key,
            provider,
            model_requested,
            model_id,
            model_provider_id,
            is_batch,
            service_tier,
            price_source,
            row_number() over (
                partition by event_key
                order by
                    case
                        when has_usage and model_requested is not null then 0
                        when model_requested is not null then 1
                        else 2
                    end,
                    attempt_seq
            ) as model_rank
        from attempts
    ) as ranked
    where model_rank = 1

),

overrides as (

    select * from {{ ref('stg_org__price_overrides') }}

),

override_periods as (

    {{ tl_price_override_periods('overrides') }}

),

discounts as (

    select
        first_attempts.event_key,
        coalesce(model_override.discount_pct, provider_override.discount_pct) as discount_pct,
        coalesce(model_override.cost_factor, provider_override.cost_factor) as cost_factor,
        coalesce(model_override.valid_from, provider_override.valid_from) as price_override_from
    from first_attempts
    inner join model_attempts
        on first_attempts.event_key = model_attempts.event_key
    left join override_periods as model_override
        on model_attempts.provider = model_override.provider
            and model_override.model_id = case
                when model_attempts.model_id is null and model_attempts.price_source = 'custom'
                    then lower(trim(model_attempts.model_requested))
                else model_attempts.model_id
            end
            and {{ tl_in_force('cast(first_attempts.occurred_at as date)', 'model_override') }}
    left join override_periods as provider_override
        on model_attempts.provider = provider_override.provider
            and provider_override.model_id is null
            and coalesce(model_attempts.price_source, '') <> 'custom'
            and {{ tl_in_force('cast(first_attempts.occurred_at as date)', 'provider_override') }}

),

costed as (

    select
        rolled_up.*,
        discounts.discount_pct,
        discounts.price_override_from,
        case
            when rolled_up.unpriced_attempts = 0 then coalesce(rolled_up.priced_cost_usd, cast(0 as {{ tl_money_type() }}))
        end as list_cost_usd,
        coalesce(discounts.cost_factor, cast(1 as decimal(12, 6))) as cost_factor
    from rolled_up
    inner join discounts
        on rolled_up.event_key = discounts.event_key

),

final as (

    select
        first_attempts.event_key,
        first_attempts.event_id,
        first_attempts.source,
        first_attempts.occurred_at,
        {{ tl_month('first_attempts.occurred_at') }} as month,
        model_attempts.provider,
        model_attempts.model_requested,
        model_attempts.model_id,
        rolled_up.uncached_input_tokens,
        rolled_up.cache_read_tokens,
        rolled_up.cache_write_5m_tokens,
        rolled_up.cache_write_1h_tokens,
        rolled_up.output_tokens,
        rolled_up.reasoning_tokens,
        rolled_up.attempts,
        model_attempts.is_batch,
        model_attempts.service_tier,
        first_attempts.agent,
        first_attempts.api_key_id,
        first_attempts.user_email,
        first_attempts.tag_team,
        first_attempts.project,
        first_attempts.environment,
        first_attempts.customer,
        rolled_up.list_cost_usd,
        rolled_up.unpriced_reason,
        rolled_up.input_tokens,
        rolled_up.source_input_tokens,
        rolled_up.input_audio_tokens,
        rolled_up.output_audio_tokens,
        rolled_up.web_search_requests,
        rolled_up.billed_attempts,
        rolled_up.failed_attempts,
        model_attempts.model_provider_id,
        first_attempts.response_id,
        first_attempts.load_id as first_load_id,
        {{ tl_scale_money('rolled_up.list_cost_usd', 'rolled_up.cost_factor') }} as cost_usd,
        rolled_up.discount_pct,
        rolled_up.price_override_from,
        rolled_up.last_load_id,
        {{ tl_config_fingerprint(tl_month('first_attempts.occurred_at')) }} as config_fingerprint,
        case when rolled_up.list_cost_usd is not null then model_attempts.price_source end as price_source,
        cast(first_attempts.occurred_at as date) as event_date,
        cast(rolled_up.attempts_checksum as {{ tl_wide_int_type() }}) as attempts_checksum
    from first_attempts
    inner join costed as rolled_up
        on first_attempts.event_key = rolled_up.event_key
    inner join model_attempts
        on first_attempts.event_key = model_attempts.event_key

)

select * from final
{{ tl_month_clustered('event_date') }}
