{#-
  Per-team monthly spend: month x team_id, from the allocations. Includes the `unattributed` row for
  every month with data (even at 0). cost_usd is the effective cost (after negotiated discounts);
  list_cost_usd is the same spend at list price. `events` counts each event once per team it reaches; token
  columns are allocated by share (all four input buckets count as input); cost_high/medium/low
  exclude UNATTRIBUTED. cost_cents are integers from largest-remainder rounding: each month's cents
  sum exactly to the month's total rounded half-up to cents.
-#}
with

allocations as (

    select * from {{ ref('fct_cost_allocations') }}

),

events as (

    select * from {{ ref('fct_usage_events') }}

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
        cast(floor(sum(cost_usd) * 100 + cast(0.5 as decimal(2, 1))) as bigint) as month_cents
    from with_unattributed
    group by month

),

cents_floor as (

    select
        with_unattributed.*,
        month_totals.month_cost_usd,
        month_totals.month_cents,
        cast(floor(with_unattributed.cost_usd * 100) as bigint) as floor_cents,
        with_unattributed.cost_usd * 100 - floor(with_unattributed.cost_usd * 100) as cents_remainder
    from with_unattributed
    inner join month_totals
        on with_unattributed.month = month_totals.month

),

cents_ranked as (

    select
        *,
        month_cents - sum(floor_cents) over (partition by month) as cents_to_distribute,
        row_number() over (partition by month order by cents_remainder desc, team_id asc) as remainder_rank
    from cents_floor

),

final as (

    select
        cents_ranked.month,
        cents_ranked.team_id,
        coalesce(teams.rollup_team_id, cents_ranked.team_id) as rollup_team_id,
        cents_ranked.cost_usd,
        cents_ranked.floor_cents
        + case when cents_ranked.remainder_rank <= cents_ranked.cents_to_distribute then 1 else 0 end as cost_cents,
        cents_ranked.events,
        cents_ranked.input_tokens,
        cents_ranked.output_tokens,
        cents_ranked.cost_high_usd,
        cents_ranked.cost_medium_usd,
        cents_ranked.cost_low_usd,
        cents_ranked.unpriced_events,
        -- Exact ratio of micro-dollar amounts, floored to 1e-12 (no floating point).
        case
            when floor(cents_ranked.month_cost_usd * 1000000) = 0 then cast(0 as decimal(38, 12))
            else {{ tl_share_floor('floor(cents_ranked.cost_usd * 1000000)', 'floor(cents_ranked.month_cost_usd * 1000000)') }}
        end as share_of_month,
        cents_ranked.list_cost_usd
    from cents_ranked
    left join teams
        on cents_ranked.team_id = teams.team_id

)

select * from final
