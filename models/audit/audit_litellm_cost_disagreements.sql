{{ config(alias='litellm_cost_disagreements') }}
{#-
  LiteLLM spend logs whose own `spend` (reported_cost_usd) differs from our list price for the
  same attempt by more than var('litellm_cost_tolerance_pct') percent of our price (or at all when
  our price is 0). LiteLLM's known cache and reasoning mispricing shows up here. Unpriced attempts
  are left out (audit.unpriced_events lists them); LiteLLM cache hits cost nothing on either side.
-#}
with

spend_logs as (

    select * from {{ ref('stg_litellm__spend_logs') }}

),

priced as (

    select * from {{ ref('int_usage_attempts_priced') }}
    where source = 'litellm'

),

compared as (

    select
        spend_logs.request_id,
        priced.attempt_key,
        spend_logs.occurred_at,
        priced.provider,
        priced.model_id,
        spend_logs.model_requested,
        spend_logs.uncached_input_tokens,
        spend_logs.cache_read_tokens,
        spend_logs.cache_write_5m_tokens,
        spend_logs.output_tokens,
        spend_logs.reasoning_tokens,
        spend_logs.reported_cost_usd,
        priced.list_cost_usd,
        spend_logs.reported_cost_usd - priced.list_cost_usd as difference_usd
    from spend_logs
    inner join priced
        on spend_logs.request_id = priced.attempt_id
    where priced.list_cost_usd is not null
        and spend_logs.reported_cost_usd is not null

),

final as (

    {{ tl_reported_cost_disagreements('compared', var('litellm_cost_tolerance_pct')) }}

)

select * from final
