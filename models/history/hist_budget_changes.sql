{#-
  Change log of org/budgets.csv (append-only, every engine). Each build appends one row per
  seed row that is new, changed (its row_hash differs from the latest logged version of its key) or
  removed (live in the latest logged version, absent now); an unchanged build appends nothing.
-#}
{{ tl_seed_change_log(
    ref('stg_org__budgets'),
    keys=['scope', 'scope_id', 'effective_from'],
    columns=['scope', 'scope_id', 'effective_from', 'monthly_budget_usd', 'warn_pct', 'critical_pct', 'enforcement'],
    types={'monthly_budget_usd': 'decimal(18, 6)', 'warn_pct': 'decimal(9, 4)', 'critical_pct': 'decimal(9, 4)'},
) }}
