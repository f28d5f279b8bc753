{#-
  OpenAI Costs API results, one row per bucket, line item and project: amount.value in
  amount.currency (USD in practice). A result delivered again in a later page download replaces
  the earlier copy.
-#}
{%- set fields = {
    'amount_text': '$.amount.value',
    'currency': '$.amount.currency',
    'line_item': '$.line_item',
    'project_id': '$.project_id',
} -%}
{%- set columns = {
    'line_item': tl_nullif_blank('line_item'),
    'project_id': tl_nullif_blank('project_id'),
    'currency': "upper(coalesce(" ~ tl_nullif_blank('currency') ~ ", 'usd'))",
    'amount': "coalesce(" ~ tl_try_cast('trim(amount_text)', 'decimal(38, 12)') ~ ", cast("
        ~ tl_try_cast('trim(amount_text)', 'double') ~ " as decimal(38, 12)))",
} -%}
{{ tl_report_staging('openai_costs', fields, ['$.line_item', '$.project_id'], columns) }}
