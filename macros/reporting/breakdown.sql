{#-
  The body of a chargeback breakdown: the allocations (after subsidy, effective cost) grouped by
  month, team and `dimensions` (an ordered mapping name -> SQL expression over `allocations` and
  `events`), with integer cents that sum exactly to the team line's cents (largest remainder within
  the line). Yields the CTEs `grouped`, `with_team_cents` and `breakdown` (the caller's final CTE
  reads `breakdown`); expects import CTEs `allocations`, `events` and `monthly` before it.
-#}
{% macro tl_chargeback_breakdown(dimensions) -%}
grouped as (

    select
        allocations.month,
        allocations.team_id,
        {%- for name, expression in dimensions.items() %}
            {{ expression }} as {{ name }},
        {%- endfor %}
        coalesce(sum(allocations.allocated_cost_usd), 0) as cost_usd,
        coalesce(sum(allocations.allocated_list_cost_usd), 0) as list_cost_usd,
        count(distinct allocations.event_key) as events,
        count(distinct case when allocations.allocated_cost_usd is null then allocations.event_key end) as unpriced_events
    from allocations
    inner join events
        on allocations.event_key = events.event_key
    group by allocations.month, allocations.team_id
        {%- for expression in dimensions.values() %}, {{ expression }}{% endfor %}

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

breakdown as (

    {{ tl_distribute_cents('with_team_cents', 'cost_usd', 'team_cost_cents', 'month, team_id', dimensions.keys() | join(', ')) }}

)
{%- endmacro %}
