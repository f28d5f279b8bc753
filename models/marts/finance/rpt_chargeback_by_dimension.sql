{#-
  Chargeback breakdown: month x team x project x environment x customer (the request's tags, trimmed
  and lower-cased; '(none)' when absent), from the allocations (after subsidy, effective cost).
  cost_usd sums exactly to the team's fct_team_monthly_spend.cost_usd and cost_cents (largest
  remainder within the team line) to its cost_cents.
-#}
with

allocations as (

    select * from {{ ref('fct_cost_allocations') }}

),

events as (

    select * from {{ ref('fct_usage_events') }}

),

monthly as (

    select * from {{ ref('fct_team_monthly_spend') }}

),

grouped as (

    select
        allocations.month,
        allocations.team_id,
        coalesce({{ tl_normalize_id('events.project') }}, '(none)') as project,
        coalesce({{ tl_normalize_id('events.environment') }}, '(none)') as environment,
        coalesce({{ tl_normalize_id('events.customer') }}, '(none)') as customer,
        coalesce(sum(allocations.allocated_cost_usd), 0) as cost_usd,
        coalesce(sum(allocations.allocated_list_cost_usd), 0) as list_cost_usd,
        count(distinct allocations.event_key) as events,
        count(distinct case when allocations.allocated_cost_usd is null then allocations.event_key end) as unpriced_events
    from allocations
    inner join events
        on allocations.event_key = events.event_key
    group by 1, 2, 3, 4, 5

),

with_team_cents as (

    select
        grouped.*,
        monthly.cost_cents as team_cost_cents
    from grouped
    inner join monthly
        on grouped.month = monthly.month
            and grouped.team_id = monthly.team_id

),

cents as (

    {{ tl_distribute_cents('with_team_cents', 'cost_usd', 'team_cost_cents', 'month, team_id', 'project, environment, customer') }}

),

final as (

    select
        {{ tl_key(['month', 'team_id', 'project', 'environment', 'customer']) }} as breakdown_key,
        month,
        team_id,
        project,
        environment,
        customer,
        cost_usd,
        cost_cents,
        list_cost_usd,
        events,
        unpriced_events
    from cents

)

select * from final
