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

{#- Java regular expressions on Spark. -#}
{% macro spark__tl_regex_matches(text_expr, pattern_expr) -%}
    ({{ text_expr }} rlike {{ pattern_expr }})
{%- endmacro %}

{#- Replace the first match of a pattern (\1-style back-references in the replacement). -#}
{% macro tl_regex_replace(text_expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('tl_regex_replace', 'tokenledger')(text_expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__tl_regex_replace(text_expr, pattern, replacement) -%}
    regexp_replace({{ text_expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#-
  Spark's regexp_replace replaces every match and writes back-references $1: the pattern is wrapped
  as ^(shortest prefix)(pattern)(rest)$ so only the first match is replaced, and \N becomes $(N + 1).
  The pattern's own groups must be plain capturing or (?:...) groups.
-#}
{% macro spark__tl_regex_replace(text_expr, pattern, replacement) -%}
    {%- set groups = modules.re.findall('(?<!\\\\)[(](?![?])', pattern) | length -%}
    {%- set shifted = modules.re.sub('\\\\([0-9])', '__GROUP_\\1__', replacement) -%}
    {%- set out = namespace(text=shifted) -%}
    {%- for n in range(9, 0, -1) -%}
        {%- set out.text = out.text | replace('__GROUP_' ~ n ~ '__', '$' ~ (n + 1)) -%}
    {%- endfor -%}
    regexp_replace({{ text_expr }}, '^([\\s\\S]*?){{ pattern }}([\\s\\S]*)$', '$1{{ out.text }}${{ groups + 2 }}')
{%- endmacro %}

{#- True when the text is a plain (optionally signed) integer literal, surrounding blanks allowed. -#}
{% macro tl_is_integer_text(text_expr) -%}
    coalesce({{ tl_regex_matches(text_expr, "'^" ~ tl_space_class() ~ "*-?[0-9]+" ~ tl_space_class() ~ "*$'") }}, false)
{%- endmacro %}

{#- The regular-expression class of white space characters, as written in a SQL string literal. -#}
{% macro tl_space_class() -%}
    {{ return(adapter.dispatch('tl_space_class', 'tokenledger')()) }}
{%- endmacro %}

{% macro default__tl_space_class() -%}[[:space:]]{%- endmacro %}

{#- Java regex has no POSIX classes; backslashes are escapes in Spark's string literals. -#}
{% macro spark__tl_space_class() -%}\\s{%- endmacro %}

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

{#- Spark's try_cast, with the models' type names translated (varchar -> string). -#}
{% macro spark__tl_try_cast(expr, data_type) -%}
    try_cast({{ expr }} as {{ tl_type(data_type) }})
{%- endmacro %}

{#- A type name as the models and seed files write it (varchar, double precision, ...), in the engine's spelling. -#}
{% macro tl_type(data_type) -%}
    {{ return(adapter.dispatch('tl_type', 'tokenledger')(data_type)) }}
{%- endmacro %}

{#-
  Spark's string literals treat a backslash as an escape: dbt-spark's escape_single_quotes escapes the
  quote but not the backslash, so a unit-test fixture or seed value holding a backslash (JSON text with
  \" inside a string) would lose it. Both are escaped here.
-#}
{% macro spark__escape_single_quotes(expression) -%}
{{ expression | replace("\\", "\\\\") | replace("'", "\\'") }}
{%- endmacro %}

{% macro default__tl_type(data_type) -%}{{ data_type }}{%- endmacro %}

{#- Spark: no varchar without a length, no time type (times of day are 'HH:MM:SS' text), no numeric alias. -#}
{% macro spark__tl_type(data_type) -%}
    {%- set name = data_type | lower | trim -%}
    {{- {'varchar': 'string', 'text': 'string', 'time': 'string', 'double precision': 'double', 'numeric': 'decimal(38, 0)', 'hugeint': 'decimal(38, 0)', 'timestamptz': 'timestamp'}.get(name, data_type) -}}
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

{#- unbase64 fails on invalid input with ANSI mode: the text is checked first; invalid UTF-8 becomes NULL. -#}
{% macro spark__tl_try_base64_text(text_expr) -%}
    case when {{ text_expr }} rlike '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$'
        then try_validate_utf8(cast(try_to_binary({{ text_expr }}, 'base64') as string)) end
{%- endmacro %}

{% macro default__tl_try_base64_text(text_expr) -%}
    {{ exceptions.raise_compiler_error("tl_try_base64_text is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#-
  A checksum term of a row: the first 60 bits of the md5 of tl_key(columns), as a bigint (the same number on
  every engine). Summed per day (as tl_wide_int_type) it tells whether a day's rows changed between two tables.
-#}
{% macro tl_hash_number(columns) -%}
    {{ return(adapter.dispatch('tl_hash_number', 'tokenledger')(columns)) }}
{%- endmacro %}

{% macro default__tl_hash_number(columns) -%}
    cast(('x' || substr(md5({{ tl_key(columns) }}), 1, 15)) as bit(60))::bigint
{%- endmacro %}

{% macro duckdb__tl_hash_number(columns) -%}
    cast(('0x' || substr(md5({{ tl_key(columns) }}), 1, 15)) as bigint)
{%- endmacro %}

{% macro spark__tl_hash_number(columns) -%}
    cast(conv(substr(md5({{ tl_key(columns) }}), 1, 15), 16, 10) as bigint)
{%- endmacro %}
