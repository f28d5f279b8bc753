{{ config(alias='reported_cost_disagreements') }}
{#-
  Every source whose records carry their producer's own cost (registry key reported_cost: LiteLLM's
  spend, OpenLIT's gen_ai.usage.cost, ...), in one audit: the attempts whose reported cost differs
  from our list price by more than the source's tolerance (var <source>_cost_tolerance_pct, default
  var litellm_cost_tolerance_pct) percent of our price, or at all when our price is 0. Unpriced
  attempts are left out (audit.unpriced_events lists them).
-#}
with

reported as (

    -- Every registered source with its own cost (macros/staging/usage_sources.sql).
    {{- tl_union_reported_costs() }}

),

priced as (

    select * from {{ ref('int_usage_attempts_priced') }}

),

compared as (

    select
        reported.source,
        reported.attempt_id,
        priced.attempt_key,
        priced.occurred_at,
        priced.provider,
        priced.model_id,
        priced.model_requested,
        priced.uncached_input_tokens,
        priced.cache_read_tokens,
        priced.cache_write_5m_tokens,
        priced.cache_write_1h_tokens,
        priced.output_tokens,
        priced.reasoning_tokens,
        reported.tolerance_pct,
        reported.reported_cost_usd,
        priced.list_cost_usd,
        reported.reported_cost_usd - priced.list_cost_usd as difference_usd
    from reported
    inner join priced
        on reported.source = priced.source
            and reported.attempt_id = priced.attempt_id
    where priced.list_cost_usd is not null

),

final as (

    {{ tl_reported_cost_disagreements('compared', 'tolerance_pct') }}

)

select * from final
