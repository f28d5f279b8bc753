{#-
  Per-team monthly spend: month x team_id, from the allocations. Includes the `unattributed` row for
  every month with data (even at 0). cost_usd is the effective cost (after negotiated discounts);
  list_cost_usd is the same spend at list price. `events` counts each event once per team it reaches; token
  columns are allocated by share (all four input buckets count as input); cost_high/medium/low
  exclude UNATTRIBUTED. cost_cents are integers from largest-remainder rounding: each month's cents
  sum exactly to the month's total rounded half-up to cents. Rebuilt a month at a time (tl_month_report_config).
-#}
{{ tl_month_report_config() }}
with

allocations as (

    select * from {{ ref('fct_cost_allocations') }}
    where {{ tl_pending_months_filter() }}

),

events as (

    select * from {{ ref('fct_usage_events') }}
    where {{ tl_pending_months_filter() }}

),

teams as (

    select * from {{ ref('dim_teams') }}

),

months as (

    select distinct month from events

),

allocated_usage as (

    select
        allocations.month,
        allocations.team_id,
        allocations.event_key,
        allocations.share,
        allocations.confidence,
        allocations.allocated_cost_usd,
        allocations.allocated_list_cost_usd,
        events.list_cost_usd is null as is_unpriced,
        events.uncached_input_tokens + events.cache_read_tokens
        + events.cache_write_5m_tokens + events.cache_write_1h_tokens as input_tokens,
        events.output_tokens
    from allocations
    inner join events
        on allocations.event_key = events.event_key

),

per_team as (

    select
        month,
        team_id,
        coalesce(sum(allocated_cost_usd), 0) as cost_usd,
        count(distinct event_key) as events,
        sum(cast(input_tokens * share as decimal(38, 12))) as input_tokens,
        sum(cast(output_tokens * share as decimal(38, 12))) as output_tokens,
        coalesce(sum(case when confidence = 'HIGH' then allocated_cost_usd end), 0) as cost_high_usd,
        coalesce(sum(case when confidence = 'MEDIUM' then allocated_cost_usd end), 0) as cost_medium_usd,
        coalesce(sum(case when confidence = 'LOW' then allocated_cost_usd end), 0) as cost_low_usd,
        count(distinct case when is_unpriced then event_key end) as unpriced_events,
        coalesce(sum(allocated_list_cost_usd), 0) as list_cost_usd
    from allocated_usage
    group by month, team_id

),

with_unattributed as (

    select * from per_team

    union all

    select
        months.month,
        'unattributed' as team_id,
        cast(0 as {{ tl_money_type() }}) as cost_usd,
        0 as events,
        cast(0 as decimal(38, 12)) as input_tokens,
        cast(0 as decimal(38, 12)) as output_tokens,
        cast(0 as {{ tl_money_type() }}) as cost_high_usd,
        cast(0 as {{ tl_money_type() }}) as cost_medium_usd,
        cast(0 as {{ tl_money_type() }}) as cost_low_usd,
        0 as unpriced_events,
        cast(0 as {{ tl_money_type() }}) as list_cost_usd
    from months
    left join per_team
        on months.month = per_team.month
            and per_team.team_id = 'unattributed'
    where per_team.team_id is null

),

month_totals as (

    select
        month,
        sum(cost_usd) as month_cost_usd,
        -- The month's total rounded half-up to cents (costs are never negative).
        cast(floor(sum(cost_usd) * 100 + cast(0.5 as decimal(2, 1))) as bigint) as month_cents,
        cast(floor(sum(list_cost_usd) * 100 + cast(0.5 as decimal(2, 1))) as bigint) as month_list_cents
    from with_unattributed
    group by month

),

with_month_totals as (

    select
        with_unattributed.*,
        month_totals.month_cost_usd,
        month_totals.month_cents,
        month_totals.month_list_cents
    from with_unattributed
    inner join month_totals
        on with_unattributed.month = month_totals.month

),

cents_distributed as (

    {{ tl_distribute_cents('with_month_totals', 'cost_usd', 'month_cents', 'month', 'team_id asc') }}

),

-- The list cost in cents as the exports show it: the month's list total rounded half-up, spread by
-- largest remainder (ties in the exports' line order: the unattributed line last, then by cost).
list_cents_distributed as (

    {{ tl_distribute_cents(
        'cents_distributed', 'list_cost_usd', 'month_list_cents', 'month',
        "(team_id = 'unattributed'), cost_usd desc, team_id", into='list_cost_cents'
    ) }}

),

final as (

    select
        list_cents_distributed.month,
        list_cents_distributed.team_id,
        coalesce(teams.rollup_team_id, list_cents_distributed.team_id) as rollup_team_id,
        list_cents_distributed.cost_usd,
        list_cents_distributed.cost_cents,
        list_cents_distributed.events,
        list_cents_distributed.input_tokens,
        list_cents_distributed.output_tokens,
        list_cents_distributed.cost_high_usd,
        list_cents_distributed.cost_medium_usd,
        list_cents_distributed.cost_low_usd,
        list_cents_distributed.unpriced_events,
        -- Exact ratio of micro-dollar amounts, floored to 1e-12 (no floating point).
        case
            when floor(list_cents_distributed.month_cost_usd * 1000000) = 0 then cast(0 as decimal(38, 12))
            else {{ tl_share_floor(
                'floor(list_cents_distributed.cost_usd * 1000000)', 'floor(list_cents_distributed.month_cost_usd * 1000000)'
            ) }}
        end as share_of_month,
        list_cents_distributed.list_cost_usd,
        list_cents_distributed.list_cost_cents
    from list_cents_distributed
    left join teams
        on list_cents_distributed.team_id = teams.team_id

)

select * from final
