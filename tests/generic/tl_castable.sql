{#-
  Every non-blank value of the column converts to `data_type`; fails with the offending rows, so a
  mistyped seed value (a date written 15/10/2026, a headcount of 'n/a') is named instead of being
  silently read as NULL. Passes when the column is absent (optional seed columns).
  Usage: columns: [{name: effective_from, data_tests: [tl_castable: {arguments: {data_type: date}}]}]
-#}
{% test tl_castable(model, column_name, data_type) %}

{%- set actual = tl_find_column(model, column_name) -%}

{%- if actual %}
select
    {{ adapter.quote(actual) }} as unconvertible_value
from {{ model }}
where
    nullif(trim(cast({{ adapter.quote(actual) }} as {{ api.Column.translate_type('string') }})), '') is not null
    and {{ tl_try_cast('trim(cast(' ~ adapter.quote(actual) ~ ' as ' ~ api.Column.translate_type('string') ~ '))', data_type) }} is null
{%- else %}
select 1 as unconvertible_value
where 1 = 0
{%- endif %}

{% endtest %}
