{#- Team budget spend equals the team's cost in fct_team_monthly_spend exactly. -#}
select
    budget.scope_id,
    budget.month,
    budget.spend_to_date_usd,
    monthly.cost_usd
from {{ ref('fct_budget_status') }} as budget
left join {{ ref('fct_team_monthly_spend') }} as monthly
    on budget.scope_id = monthly.team_id
        and budget.month = monthly.month
where budget.scope = 'team'
    and budget.spend_to_date_usd <> coalesce(monthly.cost_usd, 0)
