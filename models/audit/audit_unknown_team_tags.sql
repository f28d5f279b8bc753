{{ config(alias='unknown_team_tags') }}
{#- Team tags naming no team in teams.csv: ignored by the spine (the event fell through to the next step). -#}
with

attributed as (

    select * from {{ ref('int_usage_events_attributed') }}

),

final as (

    select
        tag_team_id,
        month,
        count(*) as events,
        sum(list_cost_usd) as list_cost_usd,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from attributed
    where tag_team_id is not null and basis <> 'tag'
    group by tag_team_id, month

)

select * from final
