{#-
  Every non-blank value of the column converts to `data_type`; fails with the offending rows, so a
  mistyped seed value (a date written 15/10/2026, a headcount of 'n/a') is named instead of being
  silently read as NULL. Passes when the column is absent (optional seed columns). Besides the SQL
  types, two of the organisation files' types: `month` (YYYY-MM or a date in the month, as
  tl_parse_month reads it) and `email` (name@domain.tld, no blank, one @).
  Usage: columns: [{name: effective_from, data_tests: [tl_castable: {arguments: {data_type: date}}]}]
-#}
{% test tl_castable(model, column_name, data_type) %}

{%- set actual = tl_find_column(model, column_name) -%}

{%- if actual %}
{%- set text = 'trim(cast(' ~ adapter.quote(actual) ~ ' as ' ~ api.Column.translate_type('string') ~ '))' %}
select
    {{ adapter.quote(actual) }} as unconvertible_value
from {{ model }}
where
    nullif({{ text }}, '') is not null
    {%- if data_type == 'month' %}
    and {{ tl_parse_month(text) }} is null
    {%- elif data_type == 'email' %}
    and not ({{ text }} like '%_@_%._%' and {{ text }} not like '%@%@%' and {{ text }} not like '% %')
    {%- else %}
    and {{ tl_try_cast(text, data_type) }} is null
    {%- endif %}
{%- else %}
select 1 as unconvertible_value
where 1 = 0
{%- endif %}

{% endtest %}
