{{ config(alias='unpriced_events') }}
{#- Events whose cost is NULL because a billed attempt's provider or model is not in the price catalog. -#}
with

events as (

    select * from {{ ref('int_usage_events') }}

),

final as (

    select
        event_key,
        source,
        occurred_at,
        month,
        provider,
        model_requested,
        unpriced_reason,
        uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens as input_tokens,
        output_tokens,
        agent,
        tag_team
    from events
    where list_cost_usd is null

)

select * from final
