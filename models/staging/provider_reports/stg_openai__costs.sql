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
with

results as (

    {{ tl_report_results('openai_costs', fields, ['$.line_item', '$.project_id']) }}

),

final as (

    select
        result_row_key,
        'openai' as provider,
        bucket_start,
        bucket_end,
        {{ tl_nullif_blank('line_item') }} as line_item,
        {{ tl_nullif_blank('project_id') }} as project_id,
        upper(coalesce({{ tl_nullif_blank('currency') }}, 'usd')) as currency,
        coalesce(
            {{ tl_try_cast('trim(amount_text)', 'decimal(38, 12)') }},
            cast({{ tl_try_cast('trim(amount_text)', 'double') }} as decimal(38, 12))
        ) as amount,
        load_id,
        file_path
    from results

)

select * from final
