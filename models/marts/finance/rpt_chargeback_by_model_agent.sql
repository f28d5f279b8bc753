{#-
  Chargeback breakdown: month x team x provider x model x agent, from the allocations (after
  subsidy, effective cost). cost_usd sums exactly to the team's fct_team_monthly_spend.cost_usd and
  cost_cents (largest remainder within the team line) to its cost_cents. driver_rank orders a team's
  month by cost (1 = the largest driver). Unknown models and events without an agent show as
  '(unknown)' / '(no agent)'.
  Rebuilt a month at a time (tl_month_report_config).
-#}
{{ tl_month_report_config() }}
{%- set dimensions = {
    'provider': "coalesce(events.provider, '(unknown)')",
    'model_id': "coalesce(events.model_id, '(unknown)')",
    'agent': "coalesce(events.agent, '(no agent)')",
} -%}
{{ tl_chargeback_breakdown_model(dimensions, extra_columns=[
    'row_number() over (partition by month, team_id order by cost_usd desc, provider asc, model_id asc, agent asc) as driver_rank',
]) }}
