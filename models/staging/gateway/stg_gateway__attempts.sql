{#- The gateway's attempts in the conformed contract (tl_attempt_columns): one per request_id. -#}
with

requests as (

    select * from {{ ref('stg_gateway__requests') }}

),

final as (

    select
        'gateway' as source,
        request_id as attempt_id,
        retry_of,
        attempt_number,
        occurred_at,
        provider_hint,
        model_requested,
        is_failed,
        has_usage,
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
        load_id,
        file_path,
        copies
    from requests

)

select * from final
