{#-
  Parse ISO-8601 text into a naive UTC timestamp, or NULL when unparseable.
  With 'Z' or an offset the instant is converted to UTC; naive text means UTC. Independent of the
  session time zone (which the profile pins to UTC anyway).
-#}
{% macro tl_parse_utc_timestamp(text_expr) -%}
    {{ return(adapter.dispatch('tl_parse_utc_timestamp', 'tokenledger')(text_expr)) }}
{%- endmacro %}

{#-
  The only text either engine casts: ISO-8601 / RFC 3339 date or date-time, a four-digit year other
  than 0000, optional fraction and offset (after tl_parse_utc_timestamp's normalisation). Everything
  else ('epoch', 'infinity', 'now', year 0 or 10000+, 'Jan 5 2026') is NULL on every engine.
-#}
{% macro tl_iso_timestamp_pattern() -%}
    ^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$
{%- endmacro %}

{% macro duckdb__tl_parse_utc_timestamp(text_expr) -%}
    {#- RFC 3339 allows a lower-case t / z and a blank before the offset; DuckDB's cast does not: normalise first. -#}
    {%- set normalised = "upper(regexp_replace(trim(" ~ text_expr ~ "), '[[:space:]]+([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$', '\\1'))" -%}
    case
        when not regexp_matches({{ normalised }}, '{{ tl_iso_timestamp_pattern() }}') or {{ normalised }} like '0000%'
            then null
        when regexp_matches({{ normalised }}, '[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$')
            then timezone('UTC', try_cast({{ normalised }} as timestamptz))
        else try_cast({{ normalised }} as timestamp)
    end
{%- endmacro %}

{#-
  Postgres accepts far more than ISO-8601 ('now', 'today', 'Jan 5 2026'), DuckDB 'epoch', 'infinity'
  and years past 9999; only tl_iso_timestamp_pattern text is cast, so both engines accept the same inputs.
-#}
{% macro postgres__tl_parse_utc_timestamp(text_expr) -%}
    {%- set normalised = "upper(regexp_replace(trim(" ~ text_expr ~ "), '[[:space:]]+([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$', '\\1'))" -%}
    case
        when {{ normalised }} !~ '{{ tl_iso_timestamp_pattern() }}' or {{ normalised }} like '0000%'
            then null
        when {{ normalised }} ~ '[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'
            then {{ tl_try_cast(normalised, 'timestamptz') }} at time zone 'UTC'
        else {{ tl_try_cast(normalised, 'timestamp') }}
    end
{%- endmacro %}

{#- Spark's cast reads the offset (or 'Z') and gives the instant in the session time zone, pinned to UTC. -#}
{% macro spark__tl_parse_utc_timestamp(text_expr) -%}
    {%- set normalised = "upper(regexp_replace(trim(" ~ text_expr ~ "), '" ~ tl_space_class() ~ "+([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$', '$1'))" -%}
    case
        when not {{ normalised }} rlike '{{ tl_iso_timestamp_pattern() }}' or {{ normalised }} like '0000%'
            then null
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

{#- A UTC timestamp from Unix-epoch nanoseconds given as text (OTLP's startTimeUnixNano); NULL when not an integer. -#}
{% macro tl_timestamp_from_unix_nanos(text_expr) -%}
    {{ return(adapter.dispatch('tl_timestamp_from_unix_nanos', 'tokenledger')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_timestamp_from_unix_nanos(text_expr) -%}
    make_timestamp(cast(try_cast(trim({{ text_expr }}) as hugeint) // 1000 as bigint))
{%- endmacro %}

{#- Whole seconds and microseconds added separately: exact (no float seconds); up to 19 digits (year 2286). -#}
{% macro postgres__tl_timestamp_from_unix_nanos(text_expr) -%}
    case when trim({{ text_expr }}) ~ '^-?[0-9]{1,19}$' then
        timestamp '1970-01-01 00:00:00'
        + div(cast(trim({{ text_expr }}) as numeric), 1000000000) * interval '1 second'
        + div(mod(cast(trim({{ text_expr }}) as numeric), 1000000000), 1000) * interval '1 microsecond'
    end
{%- endmacro %}

{#- Up to 20 digits (anything longer is NULL, never an overflow); floor to the microsecond as on DuckDB. -#}
{% macro spark__tl_timestamp_from_unix_nanos(text_expr) -%}
    timestamp_micros(cast(floor(try_cast(trim({{ text_expr }}) as decimal(20, 0)) / 1000) as bigint))
{%- endmacro %}

{% macro default__tl_timestamp_from_unix_nanos(text_expr) -%}
    {{ exceptions.raise_compiler_error("tl_timestamp_from_unix_nanos is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- A UTC timestamp from Unix-epoch seconds (a number or its text), as the OpenAI admin APIs give bucket times. -#}
{% macro tl_timestamp_from_unix_seconds(text_expr) -%}
    {{ return(adapter.dispatch('tl_timestamp_from_unix_seconds', 'tokenledger')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_timestamp_from_unix_seconds(text_expr) -%}
    make_timestamp(try_cast(trim(cast({{ text_expr }} as varchar)) as bigint) * 1000000)
{%- endmacro %}

{% macro postgres__tl_timestamp_from_unix_seconds(text_expr) -%}
    (timestamp '1970-01-01 00:00:00' + {{ tl_try_cast('trim(cast(' ~ text_expr ~ ' as text))', 'bigint') }} * interval '1 second')
{%- endmacro %}

{% macro spark__tl_timestamp_from_unix_seconds(text_expr) -%}
    timestamp_seconds(try_cast(trim(cast({{ text_expr }} as string)) as bigint))
{%- endmacro %}

{% macro default__tl_timestamp_from_unix_seconds(text_expr) -%}
    {{ exceptions.raise_compiler_error("tl_timestamp_from_unix_seconds is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- The usage timestamp `ts` is outside the plausible window: before var('min_plausible_timestamp')
    (default 2000-01-01), or more than one day after the row's load time `loaded_at` (the ingest time,
    recorded per load in raw.load_manifest). NULL (not decided) when either side is NULL. -#}
{% macro tl_implausible_timestamp(ts, loaded_at='loaded_at') -%}
    ({{ ts }} < cast('{{ var("min_plausible_timestamp", "2000-01-01") }}' as timestamp)
        or {{ ts }} > {{ loaded_at }} + interval '1 day')
{%- endmacro %}

{#- The UTC time of day of a naive UTC timestamp, comparable with the price catalog's start/end times. -#}
{% macro tl_time_of_day(ts_expr) -%}
    {{ return(adapter.dispatch('tl_time_of_day', 'tokenledger')(ts_expr)) }}
{%- endmacro %}

{% macro default__tl_time_of_day(ts_expr) -%}
    cast({{ ts_expr }} as time)
{%- endmacro %}

{#- Spark has no time type: 'HH:mm:ss.SSSSSS' text, which orders as the seeds' 'HH:MM:SS' times do. -#}
{% macro spark__tl_time_of_day(ts_expr) -%}
    date_format({{ ts_expr }}, 'HH:mm:ss.SSSSSS')
{%- endmacro %}
