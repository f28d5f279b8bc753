{#-
  The chargeback (or showback) report: team x month, one line per fct_team_monthly_spend row (so it
  ties to it exactly, the unattributed line included), plus a $0 line for a team that had a line the
  month before and none this month (so a drop to zero shows as -100 %, not as a vanished row). Adds the previous month and the
  month-over-month change (NULL when the team had no line the month before, or it was $0), the
  team budget's utilisation and status (fct_budget_status), the confidence mix as shares of the
  team's cost, and the top three cost drivers (model and agent) from rpt_chargeback_by_model_agent.
  billing_mode is var('chargeback_mode'): `chargeback` (teams are billed) or `showback` (shown, not billed).
-#}
{%- set mode = var('chargeback_mode', 'chargeback') | trim | lower -%}
{%- if mode not in ['chargeback', 'showback'] -%}
    {{ exceptions.raise_compiler_error("Configuration error: var('chargeback_mode') must be 'chargeback' or 'showback', got '" ~ mode ~ "'") }}
{%- endif -%}
with

monthly as (

    select * from {{ ref('fct_team_monthly_spend') }}

),

teams as (

    select * from {{ ref('dim_teams') }}

),

budgets as (

    select * from {{ ref('fct_budget_status') }}
    where scope = 'team'

),

drivers as (

    select * from {{ ref('rpt_chargeback_by_model_agent') }}
    where driver_rank <= 3

),

top_drivers as (

    select
        month,
        team_id,
        max(case when driver_rank = 1 then {{ dbt.concat(['model_id', "' / '", 'agent']) }} end) as top_driver_1,
        max(case when driver_rank = 1 then cost_usd end) as top_driver_1_cost_usd,
        max(case when driver_rank = 2 then {{ dbt.concat(['model_id', "' / '", 'agent']) }} end) as top_driver_2,
        max(case when driver_rank = 2 then cost_usd end) as top_driver_2_cost_usd,
        max(case when driver_rank = 3 then {{ dbt.concat(['model_id', "' / '", 'agent']) }} end) as top_driver_3,
        max(case when driver_rank = 3 then cost_usd end) as top_driver_3_cost_usd
    from drivers
    group by month, team_id

),

months as (

    select distinct month from monthly

),

dropped_to_zero as (

    select
        months.month,
        previous.team_id,
        previous.rollup_team_id,
        cast(0 as {{ tl_money_type() }}) as cost_usd,
        0 as cost_cents,
        cast(0 as {{ tl_money_type() }}) as list_cost_usd,
        0 as list_cost_cents,
        0 as events,
        0 as unpriced_events,
        cast(0 as {{ tl_money_type() }}) as cost_high_usd,
        cast(0 as {{ tl_money_type() }}) as cost_medium_usd,
        cast(0 as {{ tl_money_type() }}) as cost_low_usd,
        cast(0 as decimal(38, 12)) as share_of_month
    from months
    inner join monthly as previous
        on previous.month = cast({{ dbt.dateadd('month', -1, 'months.month') }} as date)
    left join monthly as current_month
        on months.month = current_month.month
            and previous.team_id = current_month.team_id
    where current_month.team_id is null

),

lines as (

    select
        month,
        team_id,
        rollup_team_id,
        cost_usd,
        cost_cents,
        list_cost_usd,
        list_cost_cents,
        events,
        unpriced_events,
        cost_high_usd,
        cost_medium_usd,
        cost_low_usd,
        share_of_month
    from monthly

    union all

    select * from dropped_to_zero

),

with_previous as (

    select
        lines.*,
        previous.cost_usd as previous_month_cost_usd,
        previous.cost_cents as previous_month_cents
    from lines
    left join monthly as previous
        on lines.team_id = previous.team_id
            and previous.month = cast({{ dbt.dateadd('month', -1, 'lines.month') }} as date)

),

final as (

    select
        {{ tl_key(['with_previous.month', 'with_previous.team_id']) }} as chargeback_key,
        with_previous.month,
        with_previous.team_id,
        coalesce(teams.team_name, with_previous.team_id) as team_name,
        teams.cost_center,
        with_previous.rollup_team_id,
        with_previous.cost_usd,
        with_previous.cost_cents,
        with_previous.list_cost_usd,
        with_previous.list_cost_cents,
        with_previous.events,
        with_previous.unpriced_events,
        with_previous.previous_month_cost_usd,
        with_previous.previous_month_cents,
        with_previous.cost_cents - with_previous.previous_month_cents as mom_change_cents,
        {{ tl_money_percent(
            'with_previous.cost_usd - with_previous.previous_month_cost_usd',
            'with_previous.previous_month_cost_usd'
        ) }} as mom_change_pct,
        budgets.monthly_budget_usd as budget_usd,
        budgets.utilisation_pct as budget_utilisation_pct,
        budgets.status as budget_status,
        {{ tl_money_percent('with_previous.cost_high_usd', 'with_previous.cost_usd') }} as high_confidence_pct,
        {{ tl_money_percent('with_previous.cost_medium_usd', 'with_previous.cost_usd') }} as medium_confidence_pct,
        {{ tl_money_percent('with_previous.cost_low_usd', 'with_previous.cost_usd') }} as low_confidence_pct,
        top_drivers.top_driver_1,
        top_drivers.top_driver_1_cost_usd,
        top_drivers.top_driver_2,
        top_drivers.top_driver_2_cost_usd,
        top_drivers.top_driver_3,
        top_drivers.top_driver_3_cost_usd,
        '{{ mode }}' as billing_mode,
        with_previous.share_of_month
    from with_previous
    left join teams
        on with_previous.team_id = teams.team_id
    left join budgets
        on with_previous.month = budgets.month
            and with_previous.team_id = budgets.scope_id
    left join top_drivers
        on with_previous.month = top_drivers.month
            and with_previous.team_id = top_drivers.team_id

)

select * from final
