{#-
  Parse ISO-8601 text into a naive UTC timestamp, or NULL when unparseable.
  With 'Z' or an offset the instant is converted to UTC; naive text means UTC. Independent of the
  session time zone (which the profile pins to UTC anyway).
-#}
{% macro tl_parse_utc_timestamp(text_expr) -%}
    {{ return(adapter.dispatch('tl_parse_utc_timestamp', 'tokenledger')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_parse_utc_timestamp(text_expr) -%}
    case
        when regexp_matches(trim({{ text_expr }}), '[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?[[:space:]]*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$')
            then timezone('UTC', try_cast(trim({{ text_expr }}) as timestamptz))
        else try_cast(trim({{ text_expr }}) as timestamp)
    end
{%- endmacro %}

{% macro default__tl_parse_utc_timestamp(text_expr) -%}
    {{ exceptions.raise_compiler_error("tl_parse_utc_timestamp is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- First day of the UTC calendar month of a naive UTC timestamp, as a date. -#}
{% macro tl_month(ts_expr) -%}
    cast({{ dbt.date_trunc('month', ts_expr) }} as date)
{%- endmacro %}
