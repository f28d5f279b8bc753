{#-
  Both chargeback breakdowns (model/agent and project/environment/customer) sum exactly to each team
  line of fct_team_monthly_spend: the exact cost and the integer cents. Returns the lines that do not tie.
-#}
with

monthly as (
    select * from {{ ref('fct_team_monthly_spend') }}
),

{% for breakdown in ['rpt_chargeback_by_model_agent', 'rpt_chargeback_by_dimension'] %}
    {{ breakdown }}_totals as (
        select
            month,
            team_id,
            sum(cost_usd) as cost_usd,
            sum(cost_cents) as cost_cents
        from {{ ref(breakdown) }}
        group by month, team_id
    ),
{% endfor %}

compared as (
    {%- for breakdown in ['rpt_chargeback_by_model_agent', 'rpt_chargeback_by_dimension'] %}
        select
            '{{ breakdown }}' as breakdown,
            monthly.month,
            monthly.team_id,
            monthly.cost_usd,
            monthly.cost_cents,
            totals.cost_usd as breakdown_cost_usd,
            totals.cost_cents as breakdown_cost_cents
        from monthly
        left join {{ breakdown }}_totals as totals
            on monthly.month = totals.month
                and monthly.team_id = totals.team_id
        {{ "union all" if not loop.last }}
    {%- endfor %}
)

select *
from compared
-- a zero line (e.g. unattributed at $0) has no breakdown rows
where coalesce(breakdown_cost_usd, 0) <> cost_usd
    or coalesce(breakdown_cost_cents, 0) <> cost_cents
