{#- The median of `expr` as an aggregate (used with GROUP BY, not as a window function). -#}
{% macro tl_median(expr) -%}
    {{ return(adapter.dispatch('tl_median', 'tokenledger')(expr)) }}
{%- endmacro %}

{% macro duckdb__tl_median(expr) -%}
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

{% macro default__tl_iso_week_label(date_expr) -%}
    to_char({{ date_expr }}, 'IYYY-"W"IW')
{%- endmacro %}
