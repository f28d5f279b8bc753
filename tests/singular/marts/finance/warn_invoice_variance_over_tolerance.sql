{{ config(severity='warn') }}
{#-
  Provider invoices whose variance against our computed effective cost exceeds the tolerance
  (var invoice_tolerance_pct, default 2 %). A warning, not a failure: finance investigates, and the
  allocation memo names these providers.
-#}
select
    provider,
    month,
    cost_usd,
    invoiced_usd,
    variance_usd,
    variance_pct,
    tolerance_pct
from {{ ref('fct_invoice_reconciliation') }}
where reconciliation_status = 'over_tolerance'
