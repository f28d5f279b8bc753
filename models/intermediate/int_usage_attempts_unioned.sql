{#-
  Every valid, deduplicated attempt from every source in one canonical shape.
  An attempt belongs to the logical event of its first attempt: event_id = retry_of when present
  (attempts link to the FIRST attempt's id), else its own id.
-#}
with

gateway as (

    select * from {{ ref('stg_gateway__requests') }}

),

jobs as (

    select * from {{ ref('stg_jobs__jobs') }}

),

unioned as (

    select
        'gateway' as source,
        request_id as attempt_id,
        coalesce(retry_of, request_id) as event_id,
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
        load_id
    from gateway

    union all

    select
        'jobs' as source,
        job_id as attempt_id,
        coalesce(retry_of, job_id) as event_id,
        attempt_number,
        occurred_at,
        provider_hint,
        model_requested,
        is_failed,
        has_usage,
        cast(null as varchar) as response_id,
        false as is_batch,
        cast(null as varchar) as service_tier,
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
        cast(0 as bigint) as input_audio_tokens,
        cast(0 as bigint) as output_audio_tokens,
        cast(0 as bigint) as web_search_requests,
        source_input_tokens,
        load_id
    from jobs

),

final as (

    select
        {{ dbt.concat(['source', "':'", 'attempt_id']) }} as attempt_key,
        {{ dbt.concat(['source', "':'", 'event_id']) }} as event_key,
        *,
        -- First attempt first: the event's own id, then attempt number, then time.
        row_number() over (
            partition by source, event_id
            order by
                case when attempt_id = event_id then 0 else 1 end,
                coalesce(attempt_number, 1),
                occurred_at,
                attempt_id
        ) as attempt_seq,
        uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens as input_tokens
    from unioned

)

select * from final
