{#-
  The body of a chargeback breakdown: the allocations (after subsidy, effective cost) grouped by
  month, team and `dimensions` (an ordered mapping name -> SQL expression over `allocations` and
  `events`), with integer cents that sum exactly to the team line's cents (largest remainder within
  the line), and list_cost_cents, the month's list total rounded half-up spread over the month's rows
  by largest remainder (what the exports show). Yields the CTEs `grouped`, `with_team_cents`,
  `team_cents`, `with_list_total` and `breakdown` (the caller's final CTE reads `breakdown`); expects
  import CTEs `allocations`, `events` and `monthly` before it.
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
        monthly.cost_cents as team_cost_cents,
        monthly.cost_usd as team_cost_usd
    from grouped
    inner join monthly
        on grouped.month = monthly.month
            and grouped.team_id = monthly.team_id

),

team_cents as (

    {{ tl_distribute_cents('with_team_cents', 'cost_usd', 'team_cost_cents', 'month, team_id', dimensions.keys() | join(', ')) }}

),

with_list_total as (

    select
        team_cents.*,
        {{ tl_total_cents_half_up('team_cents.list_cost_usd', 'team_cents.month') }} as month_list_cents
    from team_cents

),

-- The list cost in cents, as the exports show it: the month's list total rounded half-up, spread over
-- the month's rows by largest remainder (ties in the exports' row order: team line order, then cost).
breakdown as (

    {{ tl_distribute_cents(
        'with_list_total', 'list_cost_usd', 'month_list_cents', 'month',
        "(team_id = 'unattributed'), team_cost_usd desc, team_id, cost_usd desc, " ~ (dimensions.keys() | join(', ')),
        into='list_cost_cents'
    ) }}

)
{%- endmacro %}

{#-
  A whole chargeback breakdown model: the import CTEs (`allocations` = fct_cost_allocations, `events`
  = fct_usage_events, `monthly` = fct_team_monthly_spend), tl_chargeback_breakdown over `dimensions`,
  and the final select: breakdown_key (month, team and the dimensions), month, team_id, the
  dimensions, cost_usd, cost_cents, list_cost_usd, list_cost_cents, events, unpriced_events, then
  `extra_columns` (SQL expressions over `breakdown`, in order). The import CTEs read the pending months
  (tl_pending_months_filter: the breakdown is a month report, tl_month_report_config).
-#}
{% macro tl_chargeback_breakdown_model(dimensions, extra_columns=[]) -%}
with

allocations as (

    select * from {{ ref('fct_cost_allocations') }}
    where {{ tl_pending_months_filter() }}

),

events as (

    select * from {{ ref('fct_usage_events') }}
    where {{ tl_pending_months_filter() }}

),

monthly as (

    select * from {{ ref('fct_team_monthly_spend') }}
    where {{ tl_pending_months_filter() }}

),

{{ tl_chargeback_breakdown(dimensions) }},

final as (

    select
        {{ tl_key(['month', 'team_id'] + (dimensions.keys() | list)) }} as breakdown_key,
        month,
        team_id,
        {%- for name in dimensions %}
        {{ name }},
        {%- endfor %}
        cost_usd,
        cost_cents,
        list_cost_usd,
        list_cost_cents,
        events,
        unpriced_events
        {%- for column in extra_columns -%}
        ,
        {{ column }}
        {%- endfor %}
    from breakdown

)

select * from final
{%- endmacro %}

{#- A join condition on equal keys: `left.k = right.k and ...` for each column of `keys` (a list). -#}
{% macro tl_same_keys(left, right, keys) -%}
    {%- for key in keys %}{{ left }}.{{ key }} = {{ right }}.{{ key }}{% if not loop.last %} and {% endif %}{% endfor -%}
{%- endmacro %}
