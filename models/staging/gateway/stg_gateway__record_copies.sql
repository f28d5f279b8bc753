{#-
  Every valid gateway line, each a copy of one request_id: the parsed columns, then the copy contract
  (tl_record_copy_columns). The latest-copy rule (tl_copy_rank): 1 = the copy from the most recently
  loaded file (within one file, the later line). stg_gateway__requests keeps copy_rank 1;
  audit.duplicate_records lists the others.
-#}
with

parsed as (

    select * from {{ ref('base_gateway__requests_parsed') }}

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
        line_number,
        loaded_at,
        record_hash,
        request_id,
        retry_of,
        attempt_number,
        occurred_at,
        provider_hint,
        endpoint,
        status_code,
        is_failed,
        has_usage,
        usage_shape,
        model_requested,
        response_id,
        is_batch,
        service_tier,
        agent,
        api_key_id,
        user_email,
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
        input_audio_tokens,
        output_audio_tokens,
        web_search_requests,
        source_input_tokens,
        reject_reason,
        raw_line,
        'gateway' as copy_source,
        request_id as copy_record_id,
        {{ dbt.concat([dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('line_number', api.Column.translate_type('string'))]) }} as copy_row_key,
        line_number as copy_source_row_number,
        {{ tl_copy_rank('request_id', ['line_number']) }} as copy_rank,
        count(*) over (partition by request_id) as copies
    from valid_rows

)

select * from final
