{#-
  The providers' own reports of one kind (`report`: 'usage' or 'costs') as one relation: an import
  CTE per provider (stg_<provider>__<report>), then `unioned`, every provider's rows with provider,
  the bucket's UTC day (the bucket's start) as `date_column` and `columns` in order. `expressions`
  maps each provider (in union order) to {column: SQL expression} for the columns the provider does
  not carry under that name. Yields the CTEs `<provider>` and `unioned` (the caller's next CTE reads
  `unioned`).
-#}
{% macro tl_provider_reports_union(report, date_column, columns, expressions) -%}
{%- for provider in expressions -%}
{{ provider }} as (

    select * from {{ ref('stg_' ~ provider ~ '__' ~ report) }}

),

{% endfor -%}
unioned as (
{% for provider, overrides in expressions.items() %}
    select
        provider,
        {{ dbt.date_trunc('day', 'bucket_start') }} as {{ date_column }},
        {%- for column in columns %}
        {{ overrides.get(column, column) }}{% if column in overrides %} as {{ column }}{% endif %}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ provider }}
    {%- if not loop.last %}

    union all
    {% endif %}
{%- endfor %}

)
{%- endmacro %}
