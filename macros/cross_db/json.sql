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
    try_cast({{ text_expr }} as json)
{%- endmacro %}

{#- jsonb; Postgres has no try-cast, so a small function created by tl_create_engine_functions. -#}
{% macro postgres__tl_json_parse(text_expr) -%}
    {{ tl_engine_function('try_jsonb') }}({{ text_expr }})
{%- endmacro %}

{#- A JSONPath of the simple form this project uses ('$', '$.a.b') as a Postgres path literal ('{a,b}'). -#}
{% macro tl_pg_json_path(path) -%}
    {%- if path == '$' -%}
        '{}'
    {%- elif path.startswith('$.') and '[' not in path and '"' not in path -%}
        '{ {{- path[2:].split('.') | join(',') -}} }'
    {%- else -%}
        {{ exceptions.raise_compiler_error("tl_pg_json_path: unsupported JSON path " ~ path) }}
    {%- endif -%}
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

{% macro postgres__tl_json_type(json_expr, path) -%}
    case jsonb_typeof({{ json_expr }} #> {{ tl_pg_json_path(path) }})
        when 'object' then 'OBJECT'
        when 'array' then 'ARRAY'
        when 'string' then 'VARCHAR'
        when 'boolean' then 'BOOLEAN'
        when 'null' then 'NULL'
        when 'number' then case when ({{ json_expr }} #>> {{ tl_pg_json_path(path) }}) ~ '^-?[0-9]+$' then 'BIGINT' else 'DOUBLE' end
    end
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

{% macro postgres__tl_json_text(json_expr, path) -%}
    ({{ json_expr }} #>> {{ tl_pg_json_path(path) }})
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

{#- A JSON null at the path reads as NULL, as DuckDB's json_extract returns it. -#}
{% macro postgres__tl_json_get(json_expr, path) -%}
    nullif({{ json_expr }} #> {{ tl_pg_json_path(path) }}, 'null'::jsonb)
{%- endmacro %}

{% macro default__tl_json_get(json_expr, path) -%}
    {{ exceptions.raise_compiler_error("tl_json_get is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#-
  A JSON object's members as a list of (key, value) entries, values as text; read once, then look keys
  up with tl_json_text_ci. `obj_expr` must be a JSON object (guard with tl_json_type).
-#}
{% macro tl_json_entries(obj_expr) -%}
    {{ return(adapter.dispatch('tl_json_entries', 'tokenledger')(obj_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_json_entries(obj_expr) -%}
    map_entries(json_transform({{ obj_expr }}, '"MAP(VARCHAR, VARCHAR)"'))
{%- endmacro %}

{#- On Postgres the entries are the jsonb object itself (looked up with jsonb_each_text). -#}
{% macro postgres__tl_json_entries(obj_expr) -%}
    {{ obj_expr }}
{%- endmacro %}

{% macro default__tl_json_entries(obj_expr) -%}
    {{ exceptions.raise_compiler_error("tl_json_entries is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#-
  Value of a key among entries from tl_json_entries, matching the key case-insensitively (HTTP header
  semantics); the first matching key wins; NULL when no key matches or the entries are NULL.
-#}
{% macro tl_json_text_ci(entries_expr, key) -%}
    {{ return(adapter.dispatch('tl_json_text_ci', 'tokenledger')(entries_expr, key)) }}
{%- endmacro %}

{% macro duckdb__tl_json_text_ci(entries_expr, key) -%}
    list_filter({{ entries_expr }}, lambda e: lower(e.key) = '{{ key | lower }}')[1].value
{%- endmacro %}

{#- jsonb keeps one value per exact key; among keys differing only in case, the first in jsonb's key order wins. -#}
{% macro postgres__tl_json_text_ci(entries_expr, key) -%}
    (select e.value from jsonb_each_text({{ entries_expr }}) as e where lower(e.key) = '{{ key | lower }}' order by e.key limit 1)
{%- endmacro %}

{% macro default__tl_json_text_ci(entries_expr, key) -%}
    {{ exceptions.raise_compiler_error("tl_json_text_ci is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#-
  Several scalars of one JSON value as a list of text, in the order of `paths` (each as tl_json_text
  would read it). One parse for all the paths: read the elements with tl_list_element (1-based).
-#}
{% macro tl_json_texts(json_expr, paths) -%}
    {{ return(adapter.dispatch('tl_json_texts', 'tokenledger')(json_expr, paths)) }}
{%- endmacro %}

{% macro duckdb__tl_json_texts(json_expr, paths) -%}
    json_extract_string({{ json_expr }}, [{% for path in paths %}'{{ path }}'{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}

{% macro postgres__tl_json_texts(json_expr, paths) -%}
    array[{% for path in paths %}{{ json_expr }} #>> {{ tl_pg_json_path(path) }}{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}

{% macro default__tl_json_texts(json_expr, paths) -%}
    {{ exceptions.raise_compiler_error("tl_json_texts is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- Several sub-documents of one JSON value as a list of JSON values (each as tl_json_get would read it), one parse. -#}
{% macro tl_json_gets(json_expr, paths) -%}
    {{ return(adapter.dispatch('tl_json_gets', 'tokenledger')(json_expr, paths)) }}
{%- endmacro %}

{% macro duckdb__tl_json_gets(json_expr, paths) -%}
    json_extract({{ json_expr }}, [{% for path in paths %}'{{ path }}'{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}

{% macro postgres__tl_json_gets(json_expr, paths) -%}
    array[{% for path in paths %}{{ postgres__tl_json_get(json_expr, path) }}{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}

{% macro default__tl_json_gets(json_expr, paths) -%}
    {{ exceptions.raise_compiler_error("tl_json_gets is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- The element of a list (array) at a 1-based position; NULL past the end. -#}
{% macro tl_list_element(list_expr, position) -%}
    {{ return(adapter.dispatch('tl_list_element', 'tokenledger')(list_expr, position)) }}
{%- endmacro %}

{% macro default__tl_list_element(list_expr, position) -%}
    {{ list_expr }}[{{ position }}]
{%- endmacro %}

{% macro postgres__tl_list_element(list_expr, position) -%}
    ({{ list_expr }})[{{ position }}]
{%- endmacro %}

{#-
  The elements of the JSON array at `path` of a JSON value, one output row per element: a set-returning
  expression for a select list (DuckDB unnest; Postgres jsonb_array_elements). No row when the value at
  the path is absent or not an array: check the document's shape first so nothing vanishes unseen.
-#}
{% macro tl_json_array_rows(json_expr, path='$') -%}
    {{ return(adapter.dispatch('tl_json_array_rows', 'tokenledger')(json_expr, path)) }}
{%- endmacro %}

{% macro duckdb__tl_json_array_rows(json_expr, path) -%}
    unnest(json_extract({{ json_expr }}, '{{ path }}[*]'))
{%- endmacro %}

{% macro postgres__tl_json_array_rows(json_expr, path) -%}
    jsonb_array_elements(case when jsonb_typeof({{ json_expr }} #> {{ tl_pg_json_path(path) }}) = 'array' then {{ json_expr }} #> {{ tl_pg_json_path(path) }} end)
{%- endmacro %}

{% macro default__tl_json_array_rows(json_expr, path) -%}
    {{ exceptions.raise_compiler_error("tl_json_array_rows is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#-
  OpenTelemetry attributes (`[{key, value: {stringValue | intValue | doubleValue | boolValue}}]`, OTLP/JSON)
  as (key, value) entries with the value as text: intValue as its digits whether it arrives as a JSON
  string (the OTLP rule for int64) or a number; an integral doubleValue without its '.0' (1200.0 -> 1200);
  booleans as true/false. NULL unless the value is a JSON array. Look keys up with tl_entry_value.
-#}
{% macro tl_otel_attributes(json_expr) -%}
    {{ return(adapter.dispatch('tl_otel_attributes', 'tokenledger')(json_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_otel_attributes(json_expr) -%}
    case when json_type({{ json_expr }}) = 'ARRAY' then list_transform(
        json_transform(
            {{ json_expr }},
            '[{"key": "VARCHAR", "value": {"stringValue": "VARCHAR", "intValue": "VARCHAR", "doubleValue": "VARCHAR", "boolValue": "VARCHAR"}}]'
        ),
        lambda a: {
            'key': a.key,
            'value': coalesce(
                a.value.stringValue, a.value.intValue,
                regexp_replace(a.value.doubleValue, '^(-?[0-9]+)[.]0+$', '\1'), a.value.boolValue
            )
        }
    ) end
{%- endmacro %}

{#- On Postgres the entries are a jsonb object {key: value text}; for a repeated key the first attribute wins. -#}
{% macro postgres__tl_otel_attributes(json_expr) -%}
    case when jsonb_typeof({{ json_expr }}) = 'array' then (
        select coalesce(
            jsonb_object_agg(
                attr.a ->> 'key',
                coalesce(
                    attr.a -> 'value' ->> 'stringValue', attr.a -> 'value' ->> 'intValue',
                    regexp_replace(attr.a -> 'value' ->> 'doubleValue', '^(-?[0-9]+)[.]0+$', '\1'),
                    attr.a -> 'value' ->> 'boolValue'
                )
                order by attr.n desc
            ),
            '{}'::jsonb
        )
        from jsonb_array_elements({{ json_expr }}) with ordinality as attr (a, n)
        where jsonb_typeof(attr.a) = 'object' and attr.a ->> 'key' is not null
    ) end
{%- endmacro %}

{% macro default__tl_otel_attributes(json_expr) -%}
    {{ exceptions.raise_compiler_error("tl_otel_attributes is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- The value of the first entry whose key equals `key` exactly (entries from tl_otel_attributes / tl_json_entries). -#}
{% macro tl_entry_value(entries_expr, key) -%}
    {{ return(adapter.dispatch('tl_entry_value', 'tokenledger')(entries_expr, key)) }}
{%- endmacro %}

{% macro duckdb__tl_entry_value(entries_expr, key) -%}
    list_filter({{ entries_expr }}, lambda e: e.key = '{{ key }}')[1].value
{%- endmacro %}

{% macro postgres__tl_entry_value(entries_expr, key) -%}
    ({{ entries_expr }} ->> '{{ key }}')
{%- endmacro %}

{% macro default__tl_entry_value(entries_expr, key) -%}
    {{ exceptions.raise_compiler_error("tl_entry_value is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#-
  A JSON object (as text) of `pairs` ({key: expression}), leaving out keys whose value is NULL;
  values as JSON strings. '{}' when every value is NULL. Used for FOCUS Tags.
-#}
{% macro tl_json_object(pairs) -%}
    {{ return(adapter.dispatch('tl_json_object', 'tokenledger')(pairs)) }}
{%- endmacro %}

{% macro duckdb__tl_json_object(pairs) -%}
    cast(to_json(map_from_entries(list_filter([
        {%- for key, expr in pairs.items() %}
        {'k': '{{ key }}', 'v': cast({{ expr }} as varchar)}{% if not loop.last %},{% endif %}
        {%- endfor %}
    ], lambda e: e.v is not null))) as varchar)
{%- endmacro %}

{#- json (not jsonb) keeps the keys in the given order. -#}
{% macro postgres__tl_json_object(pairs) -%}
    cast(json_strip_nulls(json_build_object(
        {%- for key, expr in pairs.items() %}
        '{{ key }}', cast({{ expr }} as text){% if not loop.last %},{% endif %}
        {%- endfor %}
    )) as text)
{%- endmacro %}

{% macro default__tl_json_object(pairs) -%}
    {{ exceptions.raise_compiler_error("tl_json_object is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#-
  Spark: JSON values are VARIANTs (try_parse_json; NULL for invalid text). Paths are JSONPath as on
  DuckDB; a type name comes from schema_of_variant, mapped to DuckDB's names; arrays are 0-based
  underneath, so list positions go through try_element_at (1-based, NULL past the end).
-#}
{% macro spark__tl_json_parse(text_expr) -%}
    try_parse_json({{ text_expr }})
{%- endmacro %}

{% macro spark__tl_json_type(json_expr, path) -%}
    {%- set schema = "schema_of_variant(try_variant_get(" ~ json_expr ~ ", '" ~ path ~ "', 'variant'))" -%}
    case
        when {{ schema }} like 'OBJECT%' then 'OBJECT'
        when {{ schema }} like 'ARRAY%' then 'ARRAY'
        when {{ schema }} = 'STRING' then 'VARCHAR'
        when {{ schema }} in ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') then 'BIGINT'
        when {{ schema }} rlike '^DECIMAL\\([0-9]+,0\\)$' then 'UBIGINT'
        when {{ schema }} = 'BOOLEAN' then 'BOOLEAN'
        when {{ schema }} = 'VOID' then 'NULL'
        when {{ schema }} is not null then 'DOUBLE'
    end
{%- endmacro %}

{#- An object or array at the path reads as its JSON text, as DuckDB's json_extract_string gives it. -#}
{% macro spark__tl_json_text(json_expr, path) -%}
    try_variant_get({{ json_expr }}, '{{ path }}', 'string')
{%- endmacro %}

{#- A JSON null at the path reads as NULL, as DuckDB's json_extract returns it. -#}
{% macro spark__tl_json_get(json_expr, path) -%}
    case when not is_variant_null(try_variant_get({{ json_expr }}, '{{ path }}', 'variant'))
        then try_variant_get({{ json_expr }}, '{{ path }}', 'variant') end
{%- endmacro %}

{% macro spark__tl_json_entries(obj_expr) -%}
    map_entries(try_variant_get({{ obj_expr }}, '$', 'map<string, string>'))
{%- endmacro %}

{% macro spark__tl_json_text_ci(entries_expr, key) -%}
    try_element_at(filter({{ entries_expr }}, e -> lower(e.key) = '{{ key | lower }}'), 1).value
{%- endmacro %}

{% macro spark__tl_json_texts(json_expr, paths) -%}
    array({% for path in paths %}{{ spark__tl_json_text(json_expr, path) }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{% macro spark__tl_json_gets(json_expr, paths) -%}
    array({% for path in paths %}{{ spark__tl_json_get(json_expr, path) }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{% macro spark__tl_list_element(list_expr, position) -%}
    try_element_at({{ list_expr }}, {{ position }})
{%- endmacro %}

{% macro spark__tl_json_array_rows(json_expr, path) -%}
    explode(try_variant_get({{ json_expr }}, '{{ path }}', 'array<variant>'))
{%- endmacro %}

{% macro spark__tl_otel_attributes(json_expr) -%}
    case when {{ spark__tl_json_type(json_expr, '$') }} = 'ARRAY' then transform(
        try_variant_get(
            {{ json_expr }}, '$',
            'array<struct<key: string, value: struct<stringValue: string, intValue: string, doubleValue: string, boolValue: string>>>'
        ),
        a -> named_struct(
            'key', a.key,
            'value', coalesce(
                a.value.stringValue, a.value.intValue,
                regexp_replace(a.value.doubleValue, '^(-?[0-9]+)[.]0+$', '$1'), a.value.boolValue
            )
        )
    ) end
{%- endmacro %}

{% macro spark__tl_entry_value(entries_expr, key) -%}
    try_element_at(filter({{ entries_expr }}, e -> e.key = '{{ key }}'), 1).value
{%- endmacro %}

{% macro spark__tl_json_object(pairs) -%}
    to_json(map_from_entries(filter(array(
        {%- for key, expr in pairs.items() %}
        named_struct('k', '{{ key }}', 'v', cast({{ expr }} as string)){% if not loop.last %},{% endif %}
        {%- endfor %}
    ), e -> e.v is not null)))
{%- endmacro %}
