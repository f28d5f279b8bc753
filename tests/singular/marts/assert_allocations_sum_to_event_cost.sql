{#- Per event: shares sum to exactly 1 and allocated costs to exactly the event's cost. -#}
with

allocations as (
    select * from {{ ref('fct_cost_allocations') }}
),

events as (
    select * from {{ ref('fct_usage_events') }}
),

per_event as (
    select
        event_key,
        sum(share) as share_total,
        sum(allocated_cost_usd) as allocated_total,
        count(allocated_cost_usd) as priced_rows
    from allocations
    group by event_key
)

select
    events.event_key,
    per_event.share_total,
    per_event.allocated_total,
    events.cost_usd
from events
left join per_event
    on events.event_key = per_event.event_key
where
    per_event.event_key is null
    or per_event.share_total <> 1
    or (events.cost_usd is null and per_event.priced_rows > 0)
    or (events.cost_usd is not null and per_event.allocated_total <> events.cost_usd)
