{#-
  Engine functions: the few helpers an engine lacks, created by an on-run-start hook before any model
  runs. DuckDB needs none (it has try_cast). Postgres has no try-cast: `try_<type>(text)` returns NULL
  instead of failing on text that does not cast (`try_jsonb(text)` parses JSON, `try_decimal` fits a decimal(p, s)). They
  live in the schema `tl_engine` and are replaced on every run (create or replace), so a project
  upgrade never leaves a stale definition behind.
-#}

{#-
  Target types tl_try_cast supports on engines without a native try-cast, keyed by function suffix
  (decimal(p, s) has its own function, try_decimal(text, digits, scale), below).
-#}
{% macro tl_try_cast_types() -%}
    {{ return({
        'bigint': 'bigint',
        'integer': 'integer',
        'double': 'double precision',
        'date': 'date',
        'timestamp': 'timestamp',
        'timestamptz': 'timestamptz',
        'boolean': 'boolean',
        'numeric': 'numeric',
        'jsonb': 'jsonb',
    }) }}
{%- endmacro %}

{#- The function suffix for a type as written in the models ('double precision' -> 'double'). -#}
{% macro tl_pg_type_suffix(data_type) -%}
    {%- set suffix = data_type | lower | replace('(', '_') | replace(')', '') | replace(', ', '_') | replace(',', '_') | replace(' ', '_') -%}
    {%- set suffix = {'double_precision': 'double', 'int': 'integer', 'int4': 'integer', 'int8': 'bigint', 'decimal': 'numeric'}.get(suffix, suffix) -%}
    {%- if suffix not in tl_try_cast_types() -%}
        {{ exceptions.raise_compiler_error("tl_try_cast: no engine function for type " ~ data_type ~ "; add it to tl_try_cast_types in macros/cross_db/engine_functions.sql") }}
    {%- endif -%}
    {{ suffix }}
{%- endmacro %}

{#- The qualified name of an engine function. -#}
{% macro tl_engine_function(name) -%}
    tl_engine.{{ name }}
{%- endmacro %}

{% macro tl_create_engine_functions() -%}
    {{ return(adapter.dispatch('tl_create_engine_functions', 'tokenledger')()) }}
{%- endmacro %}

{% macro default__tl_create_engine_functions() -%}
    select 1 as no_engine_functions_needed
{%- endmacro %}

{#-
  Spark: no functions to create, but ANSI mode back on for the session (dbt-spark turns it off), so an
  arithmetic overflow or an invalid cast fails the build instead of becoming a silent NULL. Untrusted
  text goes through try_cast and try_* functions, which stay NULL-returning.
-#}
{% macro spark__tl_create_engine_functions() -%}
    set spark.sql.ansi.enabled = true
{%- endmacro %}

{% macro postgres__tl_create_engine_functions() -%}
    create schema if not exists tl_engine;
    {%- for suffix, pg_type in tl_try_cast_types().items() %}
    create or replace function tl_engine.try_{{ suffix }}(value text) returns {{ pg_type }}
    language plpgsql immutable parallel safe as $fn$
    begin
        return value::{{ pg_type }};
    exception when others then
        return null;
    end
    $fn$;
    {%- endfor %}
    {#- decimal(p, s): the value rounded to `scale`, NULL when it does not parse or needs more than p digits. #}
    create or replace function tl_engine.try_decimal(value text, digits integer, scale integer) returns numeric
    language plpgsql immutable parallel safe as $fn$
    declare
        rounded numeric;
    begin
        rounded := round(value::numeric, scale);
        if abs(rounded) < power(10::numeric, digits - scale) then
            return rounded;
        end if;
        return null;
    exception when others then
        return null;
    end
    $fn$;
    {#- base64 to UTF-8 text: NULL when the value is not base64 or does not decode to UTF-8. #}
    create or replace function tl_engine.try_base64_text(value text) returns text
    language plpgsql immutable parallel safe as $fn$
    begin
        return convert_from(decode(value, 'base64'), 'UTF8');
    exception when others then
        return null;
    end
    $fn$;
    create or replace function tl_engine.unit_test_value(value anyelement) returns anyelement
    language plpgsql immutable parallel safe as $fn$
    begin
        if pg_typeof(value) = 'numeric'::regtype then
            return trim_scale(value::numeric);
        end if;
        return value;
    end
    $fn$;
{%- endmacro %}

{#-
  `materialized` on Postgres, nothing elsewhere: for a CTE whose columns later CTEs read many times
  (arrays of extracted fields). Postgres inlines a CTE referenced once, and the repeated references
  then multiply the expression until planning runs out of memory; DuckDB plans these fine as they are.
-#}
{% macro tl_materialized() -%}
    {{ return(adapter.dispatch('tl_materialized', 'tokenledger')()) }}
{%- endmacro %}

{% macro default__tl_materialized() -%}{%- endmacro %}

{% macro postgres__tl_materialized() -%}materialized{%- endmacro %}

{#-
  dbt's unit tests diff actual and expected rows as text. Postgres numeric keeps each value's own scale
  (0.004 and 0.004000000000000000000000 are equal numbers but different text), so on Postgres both sides
  are read through tl_engine.unit_test_value, which trims the scale of numerics and passes other types
  through. The session settings of tl_session_settings come first (unit tests run no model pre-hooks).
  Otherwise this is dbt's default get_unit_test_sql.
-#}
{% macro postgres__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
{{ postgres__tl_session_settings() }};
with dbt_internal_unit_test_actual as (
    select
        {% for column in expected_column_names %}{{ tl_engine_function('unit_test_value') }}({{ column }}) as {{ column }}, {% endfor -%}
        {{ dbt.string_literal("actual") }} as {{ adapter.quote("actual_or_expected") }}
    from (
        {{ main_sql }}
    ) as _dbt_internal_unit_test_actual
),

dbt_internal_unit_test_expected as (
    select
        {% for column in expected_column_names %}{{ tl_engine_function('unit_test_value') }}({{ column }}) as {{ column }}, {% endfor -%}
        {{ dbt.string_literal("expected") }} as {{ adapter.quote("actual_or_expected") }}
    from (
        {{ expected_fixture_sql }}
    ) as _dbt_internal_unit_test_expected
)

select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected
{%- endmacro %}

{#-
  Pre-hook of every model: session settings an engine needs. Postgres: JIT off. Its JIT compiles the
  parsers' wide JSON expressions for seconds per query (measured: the OTel parser 2.4 s with JIT, 2 ms
  without, on a few rows), far more than it could ever save on these queries.
-#}
{% macro tl_session_settings() -%}
    {{ return(adapter.dispatch('tl_session_settings', 'tokenledger')()) }}
{%- endmacro %}

{% macro default__tl_session_settings() -%}{%- endmacro %}

{% macro postgres__tl_session_settings() -%}
    set jit = off
{%- endmacro %}
