{#-
  Anthropic Admin API cost report results, one row per bucket and group. `amount` is a decimal
  string in CENTS of `currency` (USD): amount_usd = amount x 0.01, exact (a scale shift, no
  division). A result delivered again in a later page download replaces the earlier copy.
-#}
{%- set fields = {
    'amount_text': '$.amount',
    'currency': '$.currency',
    'cost_type': '$.cost_type',
    'token_type': '$.token_type',
    'description': '$.description',
    'model': '$.model',
    'service_tier': '$.service_tier',
    'context_window': '$.context_window',
    'workspace_id': '$.workspace_id',
} -%}
{%- set columns = {
    'workspace_id': tl_nullif_blank('workspace_id'),
    'cost_type': tl_nullif_blank('cost_type'),
    'token_type': tl_nullif_blank('token_type'),
    'description': tl_nullif_blank('description'),
    'model': tl_nullif_blank('model'),
    'service_tier': tl_nullif_blank('service_tier'),
    'context_window': tl_nullif_blank('context_window'),
    'currency': "upper(coalesce(" ~ tl_nullif_blank('currency') ~ ", 'USD'))",
    'amount_cents': tl_try_cast('trim(amount_text)', 'decimal(38, 12)'),
    'amount': "cast(" ~ tl_try_cast("trim(amount_text)", "decimal(36, 12)") ~ " * cast(0.01 as decimal(3, 2)) as decimal(38, 14))",
} -%}
{{ tl_report_staging('anthropic_costs', fields, [
    '$.workspace_id', '$.description', '$.cost_type', '$.token_type', '$.model', '$.service_tier', '$.context_window'
], columns) }}
