{#-
  Per month: the customers' cost in fct_client_billing plus the cost of events without a customer
  tag equals the month's total in fct_team_monthly_spend exactly. Returns the months that do not tie.
-#}
with

monthly as (
    select
        month,
        sum(cost_usd) as cost_usd
    from {{ ref('fct_team_monthly_spend') }}
    group by month
),

billed as (
    select
        month,
        sum(cost_usd) as cost_usd
    from {{ ref('fct_client_billing') }}
    group by month
),

untagged as (
    select
        month,
        coalesce(sum(cost_usd), 0) as cost_usd
    from {{ ref('fct_usage_events') }}
    where {{ tl_normalize_id('customer') }} is null
    group by month
)

select
    monthly.month,
    monthly.cost_usd,
    billed.cost_usd as customers_cost_usd,
    untagged.cost_usd as untagged_cost_usd
from monthly
left join billed
    on monthly.month = billed.month
left join untagged
    on monthly.month = untagged.month
where coalesce(billed.cost_usd, 0) + coalesce(untagged.cost_usd, 0) <> monthly.cost_usd
