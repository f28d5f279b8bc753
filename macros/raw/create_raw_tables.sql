{#-
  Creates the raw landing schema and tables if they do not exist (run on every dbt invocation as an
  on-run-start hook), so a build on an empty warehouse works before the first ingest. The one home of
  the raw DDL: tokenledger/ingest.py renders this macro too (raw_ddl, with as_text=true: the statements
  as text on every engine), for DuckDB, Postgres and Spark.
  raw.load_unloads holds the loads taken out of the ledger (`tokenledger unload`): one row per
  unloaded load, never deleted. raw.build_months holds the months each build rebuilt of each fact rebuilt a
  month at a time (macros/incremental/rebuilt_months.sql); raw.build_inputs the builds of the kept tables and
  the full builds of the base parsers (macros/incremental/kept_tables.sql). Each table's columns are listed once below; `text` is varchar on
  DuckDB and Postgres, string on Spark.
  `text zstd` (the raw JSON text) is zstd on DuckDB: measured 2-3x faster to write than the automatic
  choice and ~6x smaller on gateway lines; a storage hint only (the column is a plain VARCHAR to readers).
  On Spark every raw table is an external Parquet table over one directory of the lake:
  `tokenledger ingest --target spark` writes the load tables' files, Spark's own `insert into` the
  build record's (docs/ingest.md "Landing on Spark: the Parquet lake"). The lake is env TOKENLEDGER_LAKE,
  else warehouse/lake, a relative path being from the project directory (dbt's --project-dir, as
  TOKENLEDGER_DB is). Spark itself would resolve a relative table location against the schema's folder
  in spark.sql.warehouse.dir (<warehouse>/raw.db/...), never the lake the ingest wrote: the location is
  always made absolute here, and a path that cannot be is an error.
  Spark runs one statement per query: there the statements are run one by one here (when dbt executes)
  and nothing is returned (an empty hook is not run).
-#}
{% macro create_raw_tables(as_text=false) -%}
    {%- set spark = target.type == 'spark' -%}
    {%- set types = {'text': 'string', 'bigint': 'bigint', 'timestamp': 'timestamp', 'date': 'date'} if spark
                    else {'text': 'varchar', 'bigint': 'bigint', 'timestamp': 'timestamp', 'date': 'date'} -%}
    {%- set zstd = ' using compression zstd' if target.type == 'duckdb' else '' -%}
    {%- set lake = env_var('TOKENLEDGER_LAKE', 'warehouse/lake').rstrip('/') if spark else '' -%}
    {%- if spark and not lake.startswith('/') and '://' not in lake -%}
        {%- set lake = (invocation_args_dict.get('project_dir') or '') | string ~ '/' ~ lake -%}
        {%- if not lake.startswith('/') -%}
            {{ exceptions.raise_compiler_error("the Parquet lake " ~ lake ~ " is not absolute: on Spark set TOKENLEDGER_LAKE "
                                               "to an absolute path (or run dbt with an absolute --project-dir); a relative "
                                               "table location would resolve against the warehouse directory") }}
        {%- endif -%}
    {%- endif -%}
    {%- set tables = [
        ('load_manifest', [
            ('load_id', 'bigint'), ('file_path', 'text'), ('file_name', 'text'), ('file_sha256', 'text'),
            ('file_bytes', 'bigint'), ('format', 'text'), ('rows', 'bigint'), ('status', 'text'),
            ('message', 'text'), ('started_at', 'timestamp'), ('loaded_at', 'timestamp')]),
        ('load_unloads', [
            ('load_id', 'bigint'), ('unloaded_at', 'timestamp'), ('unloaded_by', 'text'), ('unload_reason', 'text')]),
        ('gateway_requests', [
            ('load_id', 'bigint'), ('file_path', 'text'), ('file_sha256', 'text'), ('line_number', 'bigint'),
            ('raw_line', 'text zstd'), ('loaded_at', 'timestamp')]),
        ('jobs_export', [
            ('load_id', 'bigint'), ('file_path', 'text'), ('file_sha256', 'text'), ('row_number', 'bigint'),
            ('line_number', 'bigint'), ('job_id', 'text'), ('created_at', 'text'), ('agent', 'text'),
            ('model', 'text'), ('provider', 'text'), ('input_tokens', 'text'), ('cached_input_tokens', 'text'),
            ('output_tokens', 'text'), ('status', 'text'), ('api_key_id', 'text'), ('user_email', 'text'),
            ('workflow', 'text'), ('labels', 'text'), ('attempt', 'text'), ('retry_of', 'text'),
            ('extra_columns', 'text'), ('raw_record', 'text'), ('parse_error', 'text'), ('loaded_at', 'timestamp')]),
        ('build_runs', [
            ('invocation_id', 'text'), ('command', 'text'), ('finished_at', 'timestamp'), ('nodes', 'bigint'),
            ('errors', 'bigint'), ('failures', 'bigint'), ('skipped', 'bigint'), ('warnings', 'bigint')]),
        ('build_results', [
            ('invocation_id', 'text'), ('unique_id', 'text'), ('resource_type', 'text'), ('status', 'text'),
            ('failures', 'bigint')]),
        ('build_months', [
            ('invocation_id', 'text'), ('model_name', 'text'), ('month', 'date'), ('recorded_at', 'timestamp')]),
        ('build_inputs', [
            ('invocation_id', 'text'), ('model_name', 'text'), ('inputs_digest', 'text'), ('action', 'text'),
            ('recorded_at', 'timestamp')]),
        ('source_documents', [
            ('load_id', 'bigint'), ('file_path', 'text'), ('file_sha256', 'text'), ('format', 'text'),
            ('document_number', 'bigint'), ('line_number', 'bigint'), ('raw_document', 'text zstd'),
            ('loaded_at', 'timestamp')]),
    ] -%}
    {%- set sql -%}
    create schema if not exists raw;
    {%- for name, columns in tables %}
    create table if not exists raw.{{ name }} (
        {%- for column, kind in columns %}
        {{ '`' ~ column ~ '`' if spark else column }} {{ types[kind.split(' ')[0]] }}{{ zstd if kind.endswith(' zstd') else '' }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ){% if spark %} using parquet location '{{ lake }}/{{ name }}'{% endif %};
    {%- endfor %}
    {%- endset -%}
    {%- if as_text or not spark -%}
        {{- sql -}}
    {%- elif execute -%}
        {%- for statement in sql.split(';') if statement.strip() -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#-
  on-run-end: one row in raw.build_runs per `dbt build` / `run` / `test`, with how many nodes errored,
  failed (error-severity tests), were skipped or warned, and one row per node in raw.build_results
  (its status and failing rows: `tokenledger summary` reports that build's own tests from them). The outputs (export, report, alerts, summary)
  read the latest row and refuse to present marts that the last build left stale (common.last_build_problem).
-#}
{% macro tl_record_build(results) -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test') -%}
        {%- set spark = target.type == 'spark' -%}
        {%- set statuses = results | map(attribute='status') | map('string') | map('lower') | list -%}
        {%- set sql -%}
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
            {#- A quote in a string literal: doubled, except on Spark, which escapes it with a backslash. #}
            {%- set unique_id = result.node.unique_id | replace("\\", "\\\\") | replace("'", "\\'") if spark
                                else result.node.unique_id | replace("'", "''") %}
            ('{{ invocation_id }}', '{{ unique_id }}', '{{ result.node.resource_type }}',
             '{{ result.status | string | lower }}', {{ result.failures if result.failures is number else 'null' }})
            {%- if not loop.last %},{% endif %}
            {%- endfor %};
        {%- endfor %}
        {%- endset -%}
        {%- if not spark -%}
            {{- sql -}}
        {%- else -%}  {#- one statement per query on Spark #}
            {%- for statement in sql.split(';') if statement.strip() -%}
                {%- do run_query(statement) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- `dbt run-operation ensure_raw_tables`: create the raw schema and tables now (the hook runs create_raw_tables on every invocation). -#}
{% macro ensure_raw_tables() -%}
    {%- set sql = create_raw_tables() -%}
    {%- if sql | trim %}{% do run_query(sql) %}{% endif -%}
{%- endmacro %}
