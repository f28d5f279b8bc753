{{ config(alias='unattributed_events') }}
{#- Events no rule could attribute (team `unattributed`): never dropped, always visible. -#}
with

attributed as (

    select * from {{ ref('int_usage_events_attributed') }}

),

final as (

    select
        event_key,
        event_id,
        source,
        occurred_at,
        month,
        list_cost_usd,
        tag_team_id,
        agent_id,
        key_id,
        key_kind,
        person_email,
        agent_in_directory
    from attributed
    where basis = 'unattributed'

)

select * from final
