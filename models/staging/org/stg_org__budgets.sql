{#-
  Budgets (org/budgets.csv) per scope (team, project or customer) from a date on. warn_pct
  defaults to 80, critical_pct to 100, enforcement to `alert` (recorded for the gateway to act on;
  the warehouse reports, it does not block).
-#}
{{ tl_org_seed_model('budgets', {
    'scope': 'id',
    'scope_id': 'id',
    'effective_from': ['date', "coalesce({}, cast('1900-01-01' as date))"],
    'monthly_budget_usd': 'decimal(18, 6)',
    'warn_pct': ['decimal(9, 4)', 'coalesce({}, 80)'],
    'critical_pct': ['decimal(9, 4)', 'coalesce({}, 100)'],
    'enforcement': ['id', "coalesce({}, 'alert')"],
}) }}
