{{ config(alias='orphan_agents') }}
{#- Agents seen in events but absent from the agent directory (no owner, no shared marker). -#}
with

events as (

    select * from {{ ref('fct_usage_events') }}

),

directory as (

    select * from {{ ref('stg_org__agent_directory') }}

),

final as (

    select
        {{ tl_normalize_id('events.agent') }} as agent,
        count(*) as events,
        sum(events.list_cost_usd) as list_cost_usd,
        min(events.occurred_at) as first_seen_at,
        max(events.occurred_at) as last_seen_at
    from events
    left join directory
        on {{ tl_normalize_id('events.agent') }} = directory.agent
    where events.agent is not null and directory.agent is null
    group by {{ tl_normalize_id('events.agent') }}

)

select * from final
