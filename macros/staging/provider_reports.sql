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
