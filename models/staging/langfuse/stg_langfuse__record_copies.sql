{#-
  Every valid Langfuse observation, each a copy of one observation id: the parsed columns, then the
  copy contract (tl_record_copy_columns). A document holds many observations: they are told apart by
  their row key. The latest-copy rule (tl_copy_rank): 1 = the copy from the most recently loaded file
  (within one file, the later document, then row key). stg_langfuse__observations keeps copy_rank 1;
  audit.duplicate_records lists the others.
-#}
with

parsed as (

    select * from {{ ref('base_langfuse__observations_parsed') }}

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
        observation_id,
        trace_id,
        parent_observation_id,
        observation_type,
        observation_name,
        is_call,
        response_id,
        occurred_at,
        provider_hint,
        model_requested,
        observation_level,
        status_message,
        is_failed,
        has_usage,
        user_email,
        session_id,
        trace_release,
        team_text,
        project,
        environment,
        customer,
        agent,
        tags,
        reported_cost_usd,
        uncached_input_tokens,
        cache_read_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        output_tokens,
        reasoning_tokens,
        input_audio_tokens,
        output_audio_tokens,
        source_input_tokens,
        record_hash,
        reject_reason,
        raw_record,
        'langfuse' as copy_source,
        observation_id as copy_record_id,
        record_row_key as copy_row_key,
        line_number as copy_source_row_number,
        {{ tl_copy_rank('observation_id', ['document_number', 'record_row_key']) }} as copy_rank,
        count(*) over (partition by observation_id) as copies
    from valid_rows

)

select * from final
