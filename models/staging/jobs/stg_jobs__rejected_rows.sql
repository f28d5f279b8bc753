{#-
  One row per Jobs export record staging rejected. The reject contract every source's staging ends in
  (tl_rejecting_sources): source, row_key, load_id, file_path, source_row_number, record_id,
  reject_reason, raw_record; audit.rejected_rows is their union.
-#}
with

parsed as (

    select * from {{ ref('base_jobs__jobs_parsed') }}

),

final as (

    select
        'jobs' as source,
        {{ dbt.concat([dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('source_row_number', api.Column.translate_type('string'))]) }} as row_key,
        load_id,
        file_path,
        source_row_number,
        job_id as record_id,
        reject_reason,
        -- a record the CSV reader could not split keeps its raw text; a parsed one is shown as its known fields
        coalesce(
            raw_record,
            {{ dbt.concat([
                "coalesce(job_id, '')", "','", "coalesce(created_at_text, '')", "','", "coalesce(model_requested, '')",
                "','", "coalesce(input_tokens_text, '')", "','", "coalesce(cached_input_tokens_text, '')", "','",
                "coalesce(output_tokens_text, '')", "','", "coalesce(status, '')"
            ]) }}
        ) as raw_record
    from parsed
    where reject_reason is not null

)

select * from final
