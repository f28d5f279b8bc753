{#-
  Chargeback breakdown: month x team x project x environment x customer (the request's tags, trimmed
  and lower-cased; '(none)' when absent), from the allocations (after subsidy, effective cost).
  cost_usd sums exactly to the team's fct_team_monthly_spend.cost_usd and cost_cents (largest
  remainder within the team line) to its cost_cents.
  Rebuilt a month at a time (tl_month_report_config).
-#}
{{ tl_month_report_config() }}
{%- set dimensions = {
    'project': "coalesce(" ~ tl_normalize_id('events.project') ~ ", '(none)')",
    'environment': "coalesce(" ~ tl_normalize_id('events.environment') ~ ", '(none)')",
    'customer': "coalesce(" ~ tl_normalize_id('events.customer') ~ ", '(none)')",
} -%}
{{ tl_chargeback_breakdown_model(dimensions) }}
