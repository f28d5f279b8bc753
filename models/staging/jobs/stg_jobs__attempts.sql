{#- The Jobs export's attempts in the conformed contract (tl_attempt_columns): one per job_id. Jobs carry
  no response id, batch flag, service tier or audio / web-search counts. -#}
with

jobs as (

    select * from {{ ref('stg_jobs__jobs') }}

),

final as (

    select
        'jobs' as source,
        job_id as attempt_id,
        retry_of,
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
        load_id,
        file_path,
        copies
    from jobs

)

select * from final
