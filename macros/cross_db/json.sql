{#-
  JSON access, dispatched per engine. Staging lands raw JSON as text; these macros parse it without
  ever failing a build on invalid text (DuckDB's AND does not short-circuit, so every accessor is
  guarded with CASE on a parsed value that is NULL for invalid JSON).
-#}

{#- Parse text to the engine's JSON value; NULL when the text is not valid JSON. -#}
{% macro tl_json_parse(text_expr) -%}
    {{ return(adapter.dispatch('tl_json_parse', 'tokenledger')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_json_parse(text_expr) -%}
    case when json_valid({{ text_expr }}) then cast({{ text_expr }} as json) end
{%- endmacro %}

{% macro default__tl_json_parse(text_expr) -%}
    {{ exceptions.raise_compiler_error("tl_json_parse is not implemented for adapter " ~ adapter.type() ~ "; add a dispatched macro in macros/cross_db/json.sql") }}
{%- endmacro %}

{#- The JSON type name at a path, upper-case: OBJECT, ARRAY, VARCHAR, BIGINT, UBIGINT, DOUBLE, BOOLEAN, NULL. -#}
{% macro tl_json_type(json_expr, path='$') -%}
    {{ return(adapter.dispatch('tl_json_type', 'tokenledger')(json_expr, path)) }}
{%- endmacro %}

{% macro duckdb__tl_json_type(json_expr, path) -%}
    json_type({{ json_expr }}, '{{ path }}')
{%- endmacro %}

{% macro default__tl_json_type(json_expr, path) -%}
    {{ exceptions.raise_compiler_error("tl_json_type is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- Scalar at a path as text (numbers and booleans as their literal text); NULL when absent or JSON null. -#}
{% macro tl_json_text(json_expr, path) -%}
    {{ return(adapter.dispatch('tl_json_text', 'tokenledger')(json_expr, path)) }}
{%- endmacro %}

{% macro duckdb__tl_json_text(json_expr, path) -%}
    json_extract_string({{ json_expr }}, '{{ path }}')
{%- endmacro %}

{% macro default__tl_json_text(json_expr, path) -%}
    {{ exceptions.raise_compiler_error("tl_json_text is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- Sub-document at a path as a JSON value; NULL when absent. -#}
{% macro tl_json_get(json_expr, path) -%}
    {{ return(adapter.dispatch('tl_json_get', 'tokenledger')(json_expr, path)) }}
{%- endmacro %}

{% macro duckdb__tl_json_get(json_expr, path) -%}
    json_extract({{ json_expr }}, '{{ path }}')
{%- endmacro %}

{% macro default__tl_json_get(json_expr, path) -%}
    {{ exceptions.raise_compiler_error("tl_json_get is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#-
  Value of a key of a JSON object, matching the key case-insensitively (HTTP header semantics);
  the first matching key wins. `obj_expr` must be a JSON object (guard with tl_json_type).
-#}
{% macro tl_json_text_ci(obj_expr, key) -%}
    {{ return(adapter.dispatch('tl_json_text_ci', 'tokenledger')(obj_expr, key)) }}
{%- endmacro %}

{% macro duckdb__tl_json_text_ci(obj_expr, key) -%}
    list_filter(
        map_entries(json_transform({{ obj_expr }}, '"MAP(VARCHAR, VARCHAR)"')),
        lambda e: lower(e.key) = '{{ key | lower }}'
    )[1].value
{%- endmacro %}

{% macro default__tl_json_text_ci(obj_expr, key) -%}
    {{ exceptions.raise_compiler_error("tl_json_text_ci is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}
