{#-
  Does `text_expr` satisfy one atomic clause of a genai-prices match rule? Text is compared
  lower-cased (as genai-prices does); clause values of the non-regex kinds are stored lower-cased
  by tokenledger/prices.py. `not_regex` comes from translating look-ahead regexes.
-#}
{% macro tl_clause_matches(text_expr, type_expr, value_expr) -%}
    case {{ type_expr }}
        when 'equals' then {{ text_expr }} = {{ value_expr }}
        when 'starts_with' then substr({{ text_expr }}, 1, length({{ value_expr }})) = {{ value_expr }}
        when 'ends_with' then right({{ text_expr }}, length({{ value_expr }})) = {{ value_expr }}
        when 'contains' then {{ dbt.position(value_expr, text_expr) }} > 0
        when 'regex' then {{ tl_regex_matches(text_expr, value_expr) }}
        when 'not_regex' then not {{ tl_regex_matches(text_expr, value_expr) }}
        else false
    end
{%- endmacro %}

{#-
  genai-prices retries an unmatched reference with a compact date suffix written the dashed way
  (`gpt-5.2-20251211` -> `gpt-5.2-2025-12-11`) when the date is a real calendar date.
  NULL when there is nothing to rewrite. Only the first such date is rewritten.
-#}
{% macro tl_compact_date_normalized(ref_expr) -%}
    {{ return(adapter.dispatch('tl_compact_date_normalized', 'tokenledger')(ref_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_compact_date_normalized(ref_expr) -%}
    {%- set pattern = "-(20[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(-|:|$)" -%}
    case
        when regexp_matches({{ ref_expr }}, '{{ pattern }}')
            and try_cast(
                regexp_extract({{ ref_expr }}, '{{ pattern }}', 1) || '-'
                || regexp_extract({{ ref_expr }}, '{{ pattern }}', 2) || '-'
                || regexp_extract({{ ref_expr }}, '{{ pattern }}', 3) as date
            ) is not null
            then regexp_replace({{ ref_expr }}, '{{ pattern }}', '-\1-\2-\3\4')
    end
{%- endmacro %}

{% macro postgres__tl_compact_date_normalized(ref_expr) -%}
    {%- set pattern = "-(20[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(-|:|$)" -%}
    case
        when {{ ref_expr }} ~ '{{ pattern }}'
            and {{ tl_try_cast("array_to_string((regexp_match(" ~ ref_expr ~ ", '" ~ pattern ~ "'))[1:3], '-')", 'date') }} is not null
            then regexp_replace({{ ref_expr }}, '{{ pattern }}', '-\1-\2-\3\4')
    end
{%- endmacro %}

{% macro spark__tl_compact_date_normalized(ref_expr) -%}
    {%- set pattern = "-(20[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(-|:|$)" -%}
    case
        when {{ ref_expr }} rlike '{{ pattern }}'
            and try_cast(concat_ws('-',
                regexp_extract({{ ref_expr }}, '{{ pattern }}', 1),
                regexp_extract({{ ref_expr }}, '{{ pattern }}', 2),
                regexp_extract({{ ref_expr }}, '{{ pattern }}', 3)
            ) as date) is not null
            then {{ spark__tl_regex_replace(ref_expr, pattern, '-\\1-\\2-\\3\\4') }}
    end
{%- endmacro %}

{% macro default__tl_compact_date_normalized(ref_expr) -%}
    {{ exceptions.raise_compiler_error("tl_compact_date_normalized is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}
