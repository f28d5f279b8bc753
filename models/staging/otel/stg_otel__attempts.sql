{#- OTel's attempts in the conformed contract (tl_attempt_columns): the spans that are calls (a span
  repeating another's usage, or reporting none, is not: collapse_rule). Spans have no retry chain,
  API key or user. -#}
with

spans as (

    select * from {{ ref('stg_otel__spans') }}
    where collapse_rule is null

),

final as (

    select
        'otel' as source,
        span_key as attempt_id,
        cast(null as varchar) as retry_of,
        cast(null as integer) as attempt_number,
        occurred_at,
        provider_hint,
        model_requested,
        is_failed,
        has_usage,
        response_id,
        false as is_batch,
        cast(null as varchar) as service_tier,
        agent,
        cast(null as varchar) as api_key_id,
        cast(null as varchar) as user_email,
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
        cast(0 as bigint) as input_audio_tokens,
        cast(0 as bigint) as output_audio_tokens,
        cast(0 as bigint) as web_search_requests,
        source_input_tokens,
        load_id,
        file_path,
        trace_id
    from spans

)

select * from final
