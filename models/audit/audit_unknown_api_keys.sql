{{ config(alias='unknown_api_keys') }}
{#- API keys seen in events but absent from api_keys.csv (never guessed from the key's name). -#}
with

events as (

    select * from {{ ref('fct_usage_events') }}

),

api_keys as (

    select * from {{ ref('stg_org__api_keys') }}

),

final as (

    select
        {{ tl_normalize_id('events.api_key_id') }} as api_key_id,
        count(*) as events,
        sum(events.list_cost_usd) as list_cost_usd,
        min(events.occurred_at) as first_seen_at,
        max(events.occurred_at) as last_seen_at
    from events
    left join api_keys
        on {{ tl_normalize_id('events.api_key_id') }} = api_keys.api_key_id
    where events.api_key_id is not null and api_keys.api_key_id is null
    group by {{ tl_normalize_id('events.api_key_id') }}

)

select * from final
