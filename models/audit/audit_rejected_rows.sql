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

unioned as (

    select
        'gateway' as source,
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

),

final as (

    select
        {{ dbt.concat(['source', "':'", dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('source_row_number', api.Column.translate_type('string'))]) }} as rejected_row_key,
        *
    from unioned

)

select * from final
