{#-
  Chargeback breakdown: month x team x provider x model x agent, from the allocations (after
  subsidy, effective cost). cost_usd sums exactly to the team's fct_team_monthly_spend.cost_usd and
  cost_cents (largest remainder within the team line) to its cost_cents. driver_rank orders a team's
  month by cost (1 = the largest driver). Unknown models and events without an agent show as
  '(unknown)' / '(no agent)'.
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
        coalesce(events.provider, '(unknown)') as provider,
        coalesce(events.model_id, '(unknown)') as model_id,
        coalesce(events.agent, '(no agent)') as agent,
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

    {{ tl_distribute_cents('with_team_cents', 'cost_usd', 'team_cost_cents', 'month, team_id', 'provider, model_id, agent') }}

),

final as (

    select
        {{ tl_key(['month', 'team_id', 'provider', 'model_id', 'agent']) }} as breakdown_key,
        month,
        team_id,
        provider,
        model_id,
        agent,
        cost_usd,
        cost_cents,
        list_cost_usd,
        events,
        unpriced_events,
        row_number() over (partition by month, team_id order by cost_usd desc, provider asc, model_id asc, agent asc) as driver_rank
    from cents

)

select * from final
