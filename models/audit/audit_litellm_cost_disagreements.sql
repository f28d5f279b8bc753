{{ config(alias='litellm_cost_disagreements') }}
{#-
  LiteLLM spend logs whose own `spend` (reported_cost_usd) differs from our list price for the
  same attempt by more than var('litellm_cost_tolerance_pct') percent of our price (or at all when
  our price is 0). LiteLLM's known cache and reasoning mispricing shows up here. Unpriced attempts
  are left out (audit.unpriced_events lists them); LiteLLM cache hits cost nothing on either side.
-#}
with

disagreements as (

    -- The generic audit's LiteLLM rows (tolerance var litellm_cost_tolerance_pct).
    select * from {{ ref('audit_reported_cost_disagreements') }}
    where source = 'litellm'

),

final as (

    select
        attempt_id as request_id,
        {{- tl_source_disagreement_columns(omit=['cache_write_1h_tokens']) }}
    from disagreements

)

select * from final
