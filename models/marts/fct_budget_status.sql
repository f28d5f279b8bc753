{#-
  Budget status per scope (team, project, customer) and month, for every budget in force.
  - spend_to_date_usd: team scopes from fct_team_monthly_spend (so they tie to it), project and
    customer scopes from the events' priced cost; unpriced events count 0 (listed elsewhere).
  - as_of_date: the month's last day, or the day of the latest event in the warehouse when the
    month is still running; the budget in force on that date applies.
  - spend_to_date_cents: the spend as published, in integer cents: a team scope's cost_cents from
    fct_team_monthly_spend (largest remainder, the cents of its chargeback line), a project or customer
    scope's spend rounded half-up (they have no chargeback line). Alerts and the memo show these cents.
  - forecast_usd: linear run rate to month end, spend x days_in_month / elapsed_days.
  - utilisation_pct: spend / budget x 100 (4 decimals, floored; integer arithmetic, no floats).
  - status: critical at or above critical_pct, warning at or above warn_pct, else ok; the action due
    is the budget's enforcement when critical and `alert` when warning. The warehouse reports; the
    gateway acts.
-#}
with

events as (

    select * from {{ ref('fct_usage_events') }}

),

monthly as (

    select * from {{ ref('fct_team_monthly_spend') }}

),

budgets as (

    select * from {{ ref('stg_org__budgets') }}

),

budget_periods as (

    select
        *,
        effective_from as valid_from,
        {{ tl_valid_to('scope, scope_id') }} as valid_to
    from budgets

),

latest as (

    select cast(max(occurred_at) as date) as latest_event_date from events

),

months as (

    select
        months_with_data.month,
        cast({{ dbt.dateadd('month', 1, 'months_with_data.month') }} as date) as next_month,
        least(
            cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'months_with_data.month')) }} as date),
            latest.latest_event_date
        ) as as_of_date
    from (select distinct month from events) as months_with_data
    cross join latest

),

spend as (

    select
        'team' as scope,
        team_id as scope_id,
        month,
        cost_usd as spend_usd,
        cost_cents as spend_cents
    from monthly

    {%- for tag_scope in ['project', 'customer'] %}

        union all

        select
            '{{ tag_scope }}' as scope,
            {{ tl_normalize_id(tag_scope) }} as scope_id,
            month,
            sum(coalesce(cost_usd, 0)) as spend_usd,
            -- No chargeback line of their own: the spend rounded half-up (costs are never negative).
            cast(floor(sum(coalesce(cost_usd, 0)) * 100 + cast(0.5 as decimal(2, 1))) as bigint) as spend_cents
        from events
        where {{ tl_normalize_id(tag_scope) }} is not null
        group by {{ tl_normalize_id(tag_scope) }}, month
    {%- endfor %}

),

scoped as (

    select
        budget_periods.scope,
        budget_periods.scope_id,
        months.month,
        months.as_of_date,
        {{ dbt.datediff('months.month', 'months.next_month', 'day') }} as days_in_month,  -- noqa: LT05
        {{ dbt.datediff('months.month', 'months.as_of_date', 'day') }} + 1 as elapsed_days,  -- noqa: LT05
        budget_periods.monthly_budget_usd,
        budget_periods.warn_pct,
        budget_periods.critical_pct,
        budget_periods.enforcement,
        budget_periods.valid_from as budget_effective_from,
        coalesce(spend.spend_usd, 0) as spend_to_date_usd,
        coalesce(spend.spend_cents, 0) as spend_to_date_cents
    from months
    inner join budget_periods
        on {{ tl_in_force('months.as_of_date', 'budget_periods') }}
    left join spend
        on budget_periods.scope = spend.scope
            and budget_periods.scope_id = spend.scope_id
            and months.month = spend.month

),

measured as (

    select
        *,
        cast(floor(spend_to_date_usd * 1000000) as bigint) as spend_micro,
        cast(floor(monthly_budget_usd * 1000000) as bigint) as budget_micro
    from scoped

),

rated as (

    select
        *,
        cast(
            cast({{ tl_int_div('spend_micro * days_in_month', 'elapsed_days') }} as decimal(38, 0))
            * cast(0.000001 as decimal(7, 6)) as decimal(38, 6)
        ) as forecast_usd,
        case
            when budget_micro > 0
                then cast(
                        cast({{ tl_int_div('spend_micro * 1000000', 'budget_micro') }} as decimal(38, 0))
                        * cast(0.0001 as decimal(5, 4)) as decimal(38, 4)
                    )
        end as utilisation_pct,
        case
            when budget_micro > 0
                then cast(
                        cast(
                            {{ tl_int_div(tl_int_div('spend_micro * days_in_month', 'elapsed_days') ~ ' * 1000000', 'budget_micro') }}
                            as decimal(38, 0)
                        )
                        * cast(0.0001 as decimal(5, 4)) as decimal(38, 4)
                    )
        end as forecast_utilisation_pct
    from measured

),

final as (

    select
        {{ dbt.concat(['scope', "'|'", 'scope_id', "'|'", dbt.cast('month', api.Column.translate_type('string'))]) }}
            as budget_status_key,
        scope,
        scope_id,
        month,
        as_of_date,
        days_in_month,
        elapsed_days,
        monthly_budget_usd,
        budget_effective_from,
        warn_pct,
        critical_pct,
        enforcement,
        spend_to_date_usd,
        forecast_usd,
        utilisation_pct,
        forecast_utilisation_pct,
        {%- for pct, status in [('utilisation_pct', 'status'), ('forecast_utilisation_pct', 'forecast_status')] %}
            case
                when {{ pct }} is null then case when spend_micro > 0 then 'critical' else 'ok' end
                when {{ pct }} >= critical_pct then 'critical'
                when {{ pct }} >= warn_pct then 'warning'
                else 'ok'
            end as {{ status }},
        {%- endfor %}
        spend_to_date_cents
    from rated

),

with_action as (

    select
        *,
        case status
            when 'critical' then enforcement
            when 'warning' then 'alert'
        end as action_due
    from final

)

select * from with_action
