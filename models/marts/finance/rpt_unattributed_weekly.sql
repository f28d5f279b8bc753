{{ config(materialized='view') }}
{#-
  Unattributed spend by ISO week (weeks start on Monday, UTC), so it is visible before month end:
  every week with any spend, the unattributed events and cost, and their share of the week's cost.
  A week that straddles two months appears once. A view: always current after the allocations build.
-#}
with

allocations as (

    select * from {{ ref('fct_cost_allocations') }}

),

weekly as (

    select
        cast({{ dbt.date_trunc('week', 'occurred_at') }} as date) as week_start,
        count(distinct case when team_id = 'unattributed' then event_key end) as unattributed_events,
        coalesce(sum(case when team_id = 'unattributed' then allocated_cost_usd end), 0) as unattributed_cost_usd,
        count(distinct event_key) as events,
        coalesce(sum(allocated_cost_usd), 0) as total_cost_usd
    from allocations
    group by 1

),

final as (

    select
        week_start,
        {{ tl_iso_week_label('week_start') }} as iso_week,
        cast({{ dbt.dateadd('day', 6, 'week_start') }} as date) as week_end,
        unattributed_events,
        unattributed_cost_usd,
        events,
        total_cost_usd,
        {{ tl_money_percent('unattributed_cost_usd', 'total_cost_usd') }} as unattributed_pct
    from weekly

)

select * from final
