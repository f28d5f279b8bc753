{#-
  Creates the raw landing schema and tables if they do not exist (run on every dbt invocation as an
  on-run-start hook), so a build on an empty warehouse works before the first ingest. The one home of
  the raw DDL: tokenledger/ingest.py renders this macro too (raw_ddl), for DuckDB and for Postgres.
  zstd for the raw JSON text on DuckDB: measured 2-3x faster to write than the automatic choice and ~6x
  smaller on gateway lines; a storage hint only (the column is a plain VARCHAR to readers).
-#}
{% macro create_raw_tables() -%}
    {%- set zstd = ' using compression zstd' if target.type == 'duckdb' else '' -%}
    create schema if not exists raw;
    create table if not exists raw.load_manifest (
        load_id bigint,
        file_path varchar,
        file_name varchar,
        file_sha256 varchar,
        file_bytes bigint,
        format varchar,
        rows bigint,
        status varchar,
        message varchar,
        started_at timestamp,
        loaded_at timestamp
    );
    {#- A load taken out of the ledger (`tokenledger unload`): one row per unloaded load, never deleted. #}
    create table if not exists raw.load_unloads (
        load_id bigint,
        unloaded_at timestamp,
        unloaded_by varchar,
        unload_reason varchar
    );
    create table if not exists raw.gateway_requests (
        load_id bigint,
        file_path varchar,
        file_sha256 varchar,
        line_number bigint,
        raw_line varchar{{ zstd }},
        loaded_at timestamp
    );
    create table if not exists raw.jobs_export (
        load_id bigint,
        file_path varchar,
        file_sha256 varchar,
        row_number bigint,
        line_number bigint,
        job_id varchar,
        created_at varchar,
        agent varchar,
        model varchar,
        provider varchar,
        input_tokens varchar,
        cached_input_tokens varchar,
        output_tokens varchar,
        status varchar,
        api_key_id varchar,
        user_email varchar,
        workflow varchar,
        labels varchar,
        attempt varchar,
        retry_of varchar,
        extra_columns varchar,
        raw_record varchar,
        parse_error varchar,
        loaded_at timestamp
    );
    create table if not exists raw.build_runs (
        invocation_id varchar,
        command varchar,
        finished_at timestamp,
        nodes bigint,
        errors bigint,
        failures bigint,
        skipped bigint,
        warnings bigint
    );
    create table if not exists raw.build_results (
        invocation_id varchar,
        unique_id varchar,
        resource_type varchar,
        status varchar,
        failures bigint
    );
    create table if not exists raw.source_documents (
        load_id bigint,
        file_path varchar,
        file_sha256 varchar,
        format varchar,
        document_number bigint,
        line_number bigint,
        raw_document varchar{{ zstd }},
        loaded_at timestamp
    );
{%- endmacro %}

{#-
  on-run-end: one row in raw.build_runs per `dbt build` / `run` / `test`, with how many nodes errored,
  failed (error-severity tests), were skipped or warned, and one row per node in raw.build_results
  (its status and failing rows: `tokenledger summary` reports that build's own tests from them). The outputs (export, report, alerts, summary)
  read the latest row and refuse to present marts that the last build left stale (common.last_build_problem).
-#}
{% macro tl_record_build(results) -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test') and target.type == 'spark' -%}
        {#- Spark runs one statement per call. -#}
        {%- for statement in tl_record_build_sql(results).split(';') if statement | trim -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
        select 1 as build_recorded
    {%- else -%}
        {{ tl_record_build_sql(results) }}
    {%- endif -%}
{%- endmacro %}

{#- The statements of tl_record_build, separated by semicolons. -#}
{% macro tl_record_build_sql(results) -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test') -%}
        {%- set statuses = results | map(attribute='status') | map('string') | map('lower') | list -%}
        insert into raw.build_runs
        values (
            '{{ invocation_id }}', '{{ flags.WHICH }}', cast({{ dbt.current_timestamp() }} as timestamp),
            {{ statuses | length }},
            {{ statuses | select('equalto', 'error') | list | length }},
            {{ statuses | select('equalto', 'fail') | list | length }},
            {{ statuses | select('equalto', 'skipped') | list | length }},
            {{ statuses | select('equalto', 'warn') | list | length }}
        );
        {%- for chunk in results | batch(500) %}
        insert into raw.build_results values
            {%- for result in chunk %}
            ('{{ invocation_id }}', '{{ result.node.unique_id | replace("'", "''") }}', '{{ result.node.resource_type }}',
             '{{ result.status | string | lower }}', {{ result.failures if result.failures is number else 'null' }})
            {%- if not loop.last %},{% endif %}
            {%- endfor %};
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{#- `dbt run-operation ensure_raw_tables`: create the raw schema and tables now (the hook runs create_raw_tables on every invocation). -#}
{% macro ensure_raw_tables() -%}
    {% do run_query(create_raw_tables()) %}
{%- endmacro %}
