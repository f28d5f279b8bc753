{{ config(alias='stale_agents') }}
{#- Agents in the directory with no events in the 90 days before the latest event in the warehouse. -#}
with

events as (

    select * from {{ ref('int_usage_events') }}

),

directory as (

    select * from {{ ref('dim_agent_ownership') }}

),

latest as (

    select max(occurred_at) as latest_event_at from events

),

last_use as (

    select
        {{ tl_normalize_id('agent') }} as agent,
        max(occurred_at) as last_event_at
    from events
    where agent is not null
    group by {{ tl_normalize_id('agent') }}

),

final as (

    select
        directory.agent,
        directory.team_id as current_team_id,
        last_use.last_event_at,
        latest.latest_event_at
    from directory
    cross join latest
    left join last_use
        on directory.agent = last_use.agent
    where directory.is_current
        and (last_use.last_event_at is null or last_use.last_event_at < {{ dbt.dateadd('day', -90, 'latest.latest_event_at') }})

)

select * from final
