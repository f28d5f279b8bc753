{#-
  Every valid Jobs export record, each a copy of one job_id (overlapping exports repeat rows): the
  parsed columns, then the copy contract (tl_record_copy_columns). The latest-copy rule (tl_copy_rank):
  1 = the copy from the most recently loaded file (within one file, the later row). stg_jobs__jobs
  keeps copy_rank 1; audit.duplicate_records lists the others.
-#}
with

parsed as (

    select * from {{ ref('base_jobs__jobs_parsed') }}

),

valid_rows as (

    select * from parsed
    where reject_reason is null

),

final as (

    select
        load_id,
        file_path,
        file_sha256,
        source_row_number,
        line_number,
        loaded_at,
        raw_record,
        record_hash,
        job_id,
        retry_of,
        attempt_number,
        occurred_at,
        provider_hint,
        status,
        is_failed,
        has_usage,
        model_requested,
        agent,
        api_key_id,
        user_email,
        workflow,
        labels_text,
        has_invalid_labels,
        created_at_text,
        input_tokens_text,
        cached_input_tokens_text,
        output_tokens_text,
        tag_team,
        project,
        environment,
        customer,
        uncached_input_tokens,
        cache_read_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        output_tokens,
        reasoning_tokens,
        source_input_tokens,
        reject_reason,
        'jobs' as copy_source,
        job_id as copy_record_id,
        {{ dbt.concat([dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('source_row_number', api.Column.translate_type('string'))]) }} as copy_row_key,
        source_row_number as copy_source_row_number,
        {{ tl_copy_rank('job_id', ['source_row_number']) }} as copy_rank,
        count(*) over (partition by job_id) as copies
    from valid_rows

)

select * from final
