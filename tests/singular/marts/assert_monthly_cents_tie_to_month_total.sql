{#-
  Per month: the teams' cents sum exactly to the month's total rounded half-up to cents, no team is
  more than one cent from its exact cost, and the unattributed row is present.
-#}
with

monthly as (
    select * from {{ ref('fct_team_monthly_spend') }}
),

per_month as (
    select
        month,
        sum(cost_cents) as cents,
        sum(cost_usd) as cost_usd,
        sum(case when team_id = 'unattributed' then 1 else 0 end) as unattributed_rows,
        max(abs(cost_cents - cost_usd * 100)) as worst_team_error_cents
    from monthly
    group by month
)

select *
from per_month
where
    cents <> cast(floor(cost_usd * 100 + cast(0.5 as decimal(2, 1))) as bigint)
    or unattributed_rows <> 1
    or worst_team_error_cents >= 1
