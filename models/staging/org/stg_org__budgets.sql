{#-
  Budgets (org/budgets.csv) per scope (team, project or customer) from a date on. warn_pct
  defaults to 80, critical_pct to 100, enforcement to `alert` (recorded for the gateway to act on;
  the warehouse reports, it does not block).
-#}
with

source as (

    select * from {{ ref('budgets') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('budgets'), 'scope', 'varchar')) }} as scope,
        {{ tl_normalize_id(tl_seed_column(ref('budgets'), 'scope_id', 'varchar')) }} as scope_id,
        coalesce({{ tl_seed_column(ref('budgets'), 'effective_from', 'date') }}, cast('1900-01-01' as date)) as effective_from,
        {{ tl_seed_column(ref('budgets'), 'monthly_budget_usd', 'decimal(18, 6)') }} as monthly_budget_usd,
        coalesce({{ tl_seed_column(ref('budgets'), 'warn_pct', 'decimal(9, 4)') }}, 80) as warn_pct,
        coalesce({{ tl_seed_column(ref('budgets'), 'critical_pct', 'decimal(9, 4)') }}, 100) as critical_pct,
        coalesce({{ tl_normalize_id(tl_seed_column(ref('budgets'), 'enforcement', 'varchar')) }}, 'alert') as enforcement
    from source

)

select * from final
