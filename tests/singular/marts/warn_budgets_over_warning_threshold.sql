{{ config(severity='warn') }}
{#- Lists the scopes at or over their warning threshold (a warning, not a failure: the build goes on). -#}
select
    scope,
    scope_id,
    month,
    utilisation_pct,
    status,
    action_due
from {{ ref('fct_budget_status') }}
where status <> 'ok'
