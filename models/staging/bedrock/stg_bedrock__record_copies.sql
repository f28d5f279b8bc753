{#-
  Every valid Bedrock invocation log record, each a copy of one requestId: the parsed columns, then the
  copy contract (tl_record_copy_columns). Bedrock may deliver a record twice (S3 and CloudWatch Logs, or
  an export taken twice): the latest-copy rule (tl_copy_rank) ranks 1 the copy from the most recently
  loaded file (within one file, the later document, then row key). stg_bedrock__invocations keeps
  copy_rank 1; audit.duplicate_records lists the others.
-#}
with

parsed as (

    select * from {{ ref('base_bedrock__invocations_parsed') }}

),

valid_rows as (

    select * from parsed
    where reject_reason is null

),

final as (

    select
        record_row_key,
        load_id,
        file_path,
        file_sha256,
        document_number,
        line_number,
        loaded_at,
        request_id,
        response_id,
        api_operation,
        occurred_at,
        provider_hint,
        model_requested,
        model_id_logged,
        account_id,
        region,
        error_code,
        is_failed,
        has_usage,
        identity_arn,
        api_key_id,
        user_email,
        agent,
        team_text,
        project,
        environment,
        customer,
        request_metadata,
        uncached_input_tokens,
        cache_read_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        output_tokens,
        source_input_tokens,
        record_hash,
        reject_reason,
        raw_record,
        'bedrock' as copy_source,
        request_id as copy_record_id,
        record_row_key as copy_row_key,
        line_number as copy_source_row_number,
        {{ tl_copy_rank('request_id', ['document_number', 'record_row_key']) }} as copy_rank,
        count(*) over (partition by request_id) as copies
    from valid_rows

)

select * from final
