{{ config(alias='otel_cost_disagreements') }}
{#-
  OpenTelemetry spans (usage events) whose producer-reported cost (OpenLIT's gen_ai.usage.cost, kept as
  reported_cost_usd) differs from our list price for the same attempt by more than
  var('otel_cost_tolerance_pct') percent of our price (default: var litellm_cost_tolerance_pct), or at
  all when our price is 0. Spans without a reported cost and unpriced attempts are left out
  (audit.unpriced_events lists the latter).
-#}
with

spans as (

    select * from {{ ref('stg_otel__spans') }}
    where collapse_rule is null
        and reported_cost_usd is not null

),

priced as (

    select * from {{ ref('int_usage_attempts_priced') }}
    where source = 'otel'

),

compared as (

    select
        spans.span_key,
        priced.attempt_key,
        spans.occurred_at,
        spans.scope_name,
        priced.provider,
        priced.model_id,
        spans.model_requested,
        spans.uncached_input_tokens,
        spans.cache_read_tokens,
        spans.cache_write_5m_tokens,
        spans.cache_write_1h_tokens,
        spans.output_tokens,
        spans.reasoning_tokens,
        spans.reported_cost_usd,
        priced.list_cost_usd,
        spans.reported_cost_usd - priced.list_cost_usd as difference_usd
    from spans
    inner join priced
        on spans.span_key = priced.attempt_id
    where priced.list_cost_usd is not null

),

final as (

    {{ tl_reported_cost_disagreements('compared', var('otel_cost_tolerance_pct', var('litellm_cost_tolerance_pct'))) }}

)

select * from final
