{#-
  Parse ISO-8601 text into a naive UTC timestamp, or NULL when unparseable.
  With 'Z' or an offset the instant is converted to UTC; naive text means UTC. Independent of the
  session time zone (which the profile pins to UTC anyway).
-#}
{% macro tl_parse_utc_timestamp(text_expr) -%}
    {{ return(adapter.dispatch('tl_parse_utc_timestamp', 'tokenledger')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_parse_utc_timestamp(text_expr) -%}
    {#- RFC 3339 allows a lower-case t / z and a blank before the offset; DuckDB's cast does not: normalise first. -#}
    {%- set normalised = "upper(regexp_replace(trim(" ~ text_expr ~ "), '[[:space:]]+([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$', '\\1'))" -%}
    case
        when regexp_matches({{ normalised }}, '[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$')
            then timezone('UTC', try_cast({{ normalised }} as timestamptz))
        else try_cast({{ normalised }} as timestamp)
    end
{%- endmacro %}

{% macro default__tl_parse_utc_timestamp(text_expr) -%}
    {{ exceptions.raise_compiler_error("tl_parse_utc_timestamp is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- First day of the UTC calendar month of a naive UTC timestamp, as a date. -#}
{% macro tl_month(ts_expr) -%}
    cast({{ dbt.date_trunc('month', ts_expr) }} as date)
{%- endmacro %}

{#- A month written YYYY-MM (or any date in it) as the first day of the month; NULL when unparseable. -#}
{% macro tl_parse_month(text_expr) -%}
    {%- set trimmed = "trim(" ~ text_expr ~ ")" -%}
    {{ tl_month(tl_try_cast(
        "case when length(" ~ trimmed ~ ") = 7 then " ~ dbt.concat([trimmed, "'-01'"]) ~ " else " ~ trimmed ~ " end", 'date'
    )) }}
{%- endmacro %}
