{{ config(alias='rejected_rows') }}
{#-
  Every raw row that staging rejected, with the reason and its lineage. Nothing is dropped
  silently: raw rows = attempts in events + duplicates + these rows (tested).
-#}
with

gateway as (

    select * from {{ ref('base_gateway__requests_parsed') }}

),

jobs as (

    select * from {{ ref('base_jobs__jobs_parsed') }}

),

otel as (

    select * from {{ ref('base_otel__spans_parsed') }}

),

litellm as (

    select * from {{ ref('base_litellm__spend_logs_parsed') }}

),

provider_reports as (

    select * from {{ ref('base_provider_reports__results_parsed') }}

),

unioned as (

    select
        'gateway' as source,
        {{ dbt.concat([dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('line_number', api.Column.translate_type('string'))]) }} as row_key,
        load_id,
        file_path,
        line_number as source_row_number,
        request_id as record_id,
        reject_reason,
        raw_line as raw_record
    from gateway
    where reject_reason is not null

    union all

    select
        'jobs' as source,
        {{ dbt.concat([dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('source_row_number', api.Column.translate_type('string'))]) }} as row_key,
        load_id,
        file_path,
        source_row_number,
        job_id as record_id,
        reject_reason,
        coalesce(
            raw_record,
            {{ dbt.concat([
                "coalesce(job_id, '')", "','", "coalesce(created_at_text, '')", "','", "coalesce(model_requested, '')",
                "','", "coalesce(input_tokens_text, '')", "','", "coalesce(cached_input_tokens_text, '')", "','",
                "coalesce(output_tokens_text, '')", "','", "coalesce(status, '')"
            ]) }}
        ) as raw_record
    from jobs
    where reject_reason is not null

    union all

    -- OTel, LiteLLM and provider reports: one landed document may hold many records; the row's
    -- place is its document's first line, and the row key tells the records of a document apart.
    select
        'otel' as source,
        span_row_key as row_key,
        load_id,
        file_path,
        line_number as source_row_number,
        span_id as record_id,
        reject_reason,
        raw_record
    from otel
    where reject_reason is not null

    union all

    select
        'litellm' as source,
        record_row_key as row_key,
        load_id,
        file_path,
        line_number as source_row_number,
        request_id as record_id,
        reject_reason,
        raw_record
    from litellm
    where reject_reason is not null

    union all

    select
        format as source,
        result_row_key as row_key,
        load_id,
        file_path,
        line_number as source_row_number,
        cast(null as varchar) as record_id,
        reject_reason,
        raw_record
    from provider_reports
    where reject_reason is not null

),

final as (

    select
        {{ dbt.concat(['source', "':'", 'row_key']) }} as rejected_row_key,
        source,
        load_id,
        file_path,
        source_row_number,
        record_id,
        reject_reason,
        raw_record
    from unioned

)

select * from final
