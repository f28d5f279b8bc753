{#- LiteLLM's attempts in the conformed contract (tl_attempt_columns): one per spend-log request_id. -#}
with

spend_logs as (

    select * from {{ ref('stg_litellm__spend_logs') }}

),

final as (

    select
        'litellm' as source,
        request_id as attempt_id,
        cast(null as varchar) as retry_of,
        cast(null as integer) as attempt_number,
        occurred_at,
        provider_hint,
        model_requested,
        is_failed,
        has_usage,
        request_id as response_id,  -- LiteLLM logs the provider's response id as its request_id
        false as is_batch,
        cast(null as varchar) as service_tier,
        cast(null as varchar) as agent,
        api_key_id,
        user_email,
        tag_team,
        cast(null as varchar) as project,
        cast(null as varchar) as environment,
        customer,
        uncached_input_tokens,
        cache_read_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        output_tokens,
        reasoning_tokens,
        cast(0 as bigint) as input_audio_tokens,
        cast(0 as bigint) as output_audio_tokens,
        cast(0 as bigint) as web_search_requests,
        source_input_tokens,
        load_id,
        file_path,
        reported_cost_usd
    from spend_logs

)

select * from final
