{#-
  Shared by the four provider-report staging models (stg_openai__usage, stg_openai__costs,
  stg_anthropic__usage, stg_anthropic__costs).
-#}

{#-
  The valid results of one report format with their fields as text: `fields` maps output column ->
  JSON path inside the result. Re-downloaded pages repeat results: per `key_columns` (the report's
  grouping, with the bucket) the copy from the most recently loaded file wins (then the later
  document and row). Renders a query (use it as a CTE body).
-#}
{% macro tl_report_results(format, fields, key_columns) -%}
    {%- set report_key = ['bucket_start', 'bucket_end'] -%}
    {%- for path in key_columns %}{% do report_key.append(tl_json_text('result', path)) %}{% endfor -%}
    select
        {%- for name in fields %}
            {{ tl_list_element('texts', loop.index) }} as {{ name }},
        {%- endfor %}
        result_row_key,
        load_id,
        file_path,
        document_number,
        bucket_start,
        bucket_end,
        copy_rank
    from (
        select
            *,
            {{ tl_copy_rank(report_key | join(', '), ['document_number', 'result_row_key']) }} as copy_rank,
            {{ tl_json_texts('result', fields.values() | list) }} as texts
        from {{ ref('base_provider_reports__results_parsed') }}
        where format = '{{ format }}'
            and reject_reason is null
    ) as results
    where copy_rank = 1
{%- endmacro %}

{#-
  A whole provider-report staging model: the valid results of `format` (tl_report_results with
  `fields` and `key_columns`), the `count_columns` (text fields, named with a `_text` suffix) parsed
  as token counts under their name without the suffix, and one row per result with result_row_key,
  the provider (the format's first word), the bucket, then `columns` (an ordered mapping output
  column -> SQL expression over the results and counts), load_id and file_path.
-#}
{% macro tl_report_staging(format, fields, key_columns, columns, count_columns=[]) -%}
with

results as (

    {{ tl_report_results(format, fields, key_columns) }}

),
{%- if count_columns %}

counted as (

    select
        *,
        {%- for col in count_columns %}
            {{ tl_token_count(col) }} as {{ col[:-5] }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from results

),
{%- endif %}

final as (

    select
        result_row_key,
        '{{ format.split("_")[0] }}' as provider,
        bucket_start,
        bucket_end,
        {%- for name, expression in columns.items() %}
        {{ expression }}{% if expression != name %} as {{ name }}{% endif %},
        {%- endfor %}
        load_id,
        file_path
    from {{ 'counted' if count_columns else 'results' }}

)

select * from final
{%- endmacro %}
