{#-
  The FOCUS export's BilledCost, summed per billing period and sub-account (team), equals
  fct_team_monthly_spend.cost_usd exactly; ListCost equals its list_cost_usd. Returns the differing
  (month, team) pairs.
-#}
-- noqa: disable=RF06
-- (FOCUS column names are quoted to keep their case on every engine)
with

focus as (
    select
        cast({{ adapter.quote('BillingPeriodStart') }} as date) as month,
        {{ adapter.quote('SubAccountId') }} as team_id,
        coalesce(sum({{ adapter.quote('BilledCost') }}), 0) as billed_cost,
        coalesce(sum({{ adapter.quote('ListCost') }}), 0) as list_cost
    from {{ ref('focus_cost_and_usage') }}
    group by 1, 2
),

monthly as (
    select
        month,
        team_id,
        coalesce(sum(cost_usd), 0) as cost_usd,
        coalesce(sum(list_cost_usd), 0) as list_cost_usd
    from {{ ref('fct_team_monthly_spend') }}
    group by 1, 2
)

select
    coalesce(focus.month, monthly.month) as month,
    coalesce(focus.team_id, monthly.team_id) as team_id,
    focus.billed_cost,
    monthly.cost_usd,
    focus.list_cost,
    monthly.list_cost_usd
from focus
full outer join monthly
    on focus.month = monthly.month
        and focus.team_id = monthly.team_id
where coalesce(focus.billed_cost, 0) <> coalesce(monthly.cost_usd, 0)
    or coalesce(focus.list_cost, 0) <> coalesce(monthly.list_cost_usd, 0)
