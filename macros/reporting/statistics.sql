{#- The median of `expr` as an aggregate (used with GROUP BY, not as a window function). -#}
{% macro tl_median(expr) -%}
    {{ return(adapter.dispatch('tl_median', 'tokenledger')(expr)) }}
{%- endmacro %}

{% macro duckdb__tl_median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{#- Spark's median is a double (only the spend-anomaly audit's baseline uses tl_median; money uses tl_exact_median). -#}
{% macro spark__tl_median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro default__tl_median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{#- ISO-8601 week label of a date, e.g. 2026-W09 (the ISO year can differ from the calendar year). -#}
{% macro tl_iso_week_label(date_expr) -%}
    {{ return(adapter.dispatch('tl_iso_week_label', 'tokenledger')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_iso_week_label(date_expr) -%}
    strftime({{ date_expr }}, '%G-W%V')
{%- endmacro %}

{% macro spark__tl_iso_week_label(date_expr) -%}
    concat(cast(date_part('YEAROFWEEK', {{ date_expr }}) as string), '-W', lpad(cast(weekofyear({{ date_expr }}) as string), 2, '0'))
{%- endmacro %}

{% macro default__tl_iso_week_label(date_expr) -%}
    to_char({{ date_expr }}, 'IYYY-"W"IW')
{%- endmacro %}

{#-
  The exact median of `value` as an aggregate over rows ranked 1..`count` by it (`rank`, `count`:
  integer columns, e.g. row_number() and count(*) over the group): the middle value, or the mean of
  the two middle values, by (a + b) x 0.5 (never a float, unlike percentile_cont on some engines).
-#}
{% macro tl_exact_median(value, rank, count) -%}
    {%- set middle = rank ~ " in (" ~ tl_int_div(count ~ ' + 1', 2) ~ ", " ~ tl_int_div(count ~ ' + 2', 2) ~ ")" -%}
    (
        min(case when {{ middle }} then {{ value }} end)
        + max(case when {{ middle }} then {{ value }} end)
    ) * cast(0.5 as decimal(2, 1))
{%- endmacro %}
