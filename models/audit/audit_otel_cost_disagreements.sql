{{ config(alias='otel_cost_disagreements') }}
{#-
  OpenTelemetry spans (usage events) whose producer-reported cost (OpenLIT's gen_ai.usage.cost, kept as
  reported_cost_usd) differs from our list price for the same attempt by more than
  var('otel_cost_tolerance_pct') percent of our price (default: var litellm_cost_tolerance_pct), or at
  all when our price is 0. Spans without a reported cost and unpriced attempts are left out
  (audit.unpriced_events lists the latter).
-#}
with

disagreements as (

    -- The generic audit's OTel rows (tolerance var otel_cost_tolerance_pct, default
    -- litellm_cost_tolerance_pct); OTel's attempts are the spans that are calls (collapse_rule NULL).
    select * from {{ ref('audit_reported_cost_disagreements') }}
    where source = 'otel'

),

spans as (

    select * from {{ ref('stg_otel__spans') }}

),

final as (

    select
        disagreements.attempt_id as span_key,
        disagreements.attempt_key,
        disagreements.occurred_at,
        spans.scope_name,
        {{- tl_source_disagreement_columns('disagreements', omit=['attempt_key', 'occurred_at']) }}
    from disagreements
    inner join spans
        on disagreements.attempt_id = spans.span_key

)

select * from final
