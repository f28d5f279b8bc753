{#- Regular-expression search (true when the pattern matches anywhere in the text). RE2 on DuckDB: no look-ahead. -#}
{% macro tl_regex_matches(text_expr, pattern_expr) -%}
    {{ return(adapter.dispatch('tl_regex_matches', 'tokenledger')(text_expr, pattern_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_regex_matches(text_expr, pattern_expr) -%}
    regexp_matches({{ text_expr }}, {{ pattern_expr }})
{%- endmacro %}

{% macro default__tl_regex_matches(text_expr, pattern_expr) -%}
    ({{ text_expr }} ~ {{ pattern_expr }})
{%- endmacro %}

{#- Replace the first match of a pattern (\1-style back-references in the replacement). -#}
{% macro tl_regex_replace(text_expr, pattern, replacement) -%}
    regexp_replace({{ text_expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#- True when the text is a plain (optionally signed) integer literal, surrounding blanks allowed. -#}
{% macro tl_is_integer_text(text_expr) -%}
    coalesce({{ tl_regex_matches(text_expr, "'^[[:space:]]*-?[0-9]+[[:space:]]*$'") }}, false)
{%- endmacro %}

{#- Blank-to-NULL: trims and turns '' into NULL so '' and NULL cells behave alike. -#}
{% macro tl_nullif_blank(text_expr) -%}
    nullif(trim({{ text_expr }}), '')
{%- endmacro %}

{#-
  Cast that yields NULL instead of failing on untrusted text. dbt's own safe_cast is a plain CAST
  on DuckDB, so one stray value (attempt '2nd', status 'timeout') would fail the whole build.
-#}
{% macro tl_try_cast(expr, data_type) -%}
    {{ return(adapter.dispatch('tl_try_cast', 'tokenledger')(expr, data_type)) }}
{%- endmacro %}

{% macro duckdb__tl_try_cast(expr, data_type) -%}
    try_cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{#-
  Postgres has no try-cast: one small function per target type (tl_create_engine_functions); a
  decimal(p, s) goes through try_decimal, NULL when it does not fit p digits, as DuckDB's try_cast.
-#}
{% macro postgres__tl_try_cast(expr, data_type) -%}
    {%- set decimal = modules.re.match('^\s*(?:decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*$', data_type | lower) -%}
    {%- if data_type | lower in ('varchar', 'text', 'string') -%}
        cast({{ expr }} as text)
    {%- elif decimal -%}
        {%- set precision, scale = decimal.group(1) | int, decimal.group(2) | int -%}
        cast({{ tl_engine_function('try_decimal') }}(cast({{ expr }} as text), {{ precision }}, {{ scale }}) as numeric({{ precision }}, {{ scale }}))
    {%- else -%}
        {{ tl_engine_function('try_' ~ tl_pg_type_suffix(data_type)) }}(cast({{ expr }} as text))
    {%- endif -%}
{%- endmacro %}

{% macro default__tl_try_cast(expr, data_type) -%}
    {{ dbt.safe_cast(expr, data_type) }}
{%- endmacro %}

{#- A readable surrogate key: the columns cast to text, joined with '|' (NULL parts as ''). -#}
{% macro tl_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{%- do parts.append("'|'") -%}{% endif -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ api.Column.translate_type('string') ~ "), '')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{#-
  The UTF-8 text that a base64 string encodes; NULL when it is not valid base64 or not valid UTF-8
  (DuckDB: try(); Postgres: the engine function tl_engine.try_base64_text).
-#}
{% macro tl_try_base64_text(text_expr) -%}
    {{ return(adapter.dispatch('tl_try_base64_text', 'tokenledger')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_try_base64_text(text_expr) -%}
    try(decode(from_base64({{ text_expr }})))
{%- endmacro %}

{% macro postgres__tl_try_base64_text(text_expr) -%}
    {{ tl_engine_function('try_base64_text') }}({{ text_expr }})
{%- endmacro %}

{% macro default__tl_try_base64_text(text_expr) -%}
    {{ exceptions.raise_compiler_error("tl_try_base64_text is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}
