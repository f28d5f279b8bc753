{#-
  Creates the raw landing schema and tables if they do not exist (run on every dbt invocation as an
  on-run-start hook), so a build on an empty warehouse works before the first ingest. The one home of
  the raw DDL: scripts/ingest.py renders this macro too (raw_ddl), for DuckDB and for Postgres.
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

{#- `dbt run-operation ensure_raw_tables`: create the raw schema and tables now (the hook runs create_raw_tables on every invocation). -#}
{% macro ensure_raw_tables() -%}
    {% do run_query(create_raw_tables()) %}
{%- endmacro %}
