{#-
  What the providers' own usage reports say, per provider x UTC day x model x key x project
  (OpenAI project_id) / workspace (Anthropic workspace_id) x service tier x batch: the same token
  buckets as the request ledger and the request count. Buckets finer than a day are summed into
  their day (the bucket's start). Not part of the request ledger: it feeds fct_usage_coverage.
-#}
{%- set columns = [
    'model', 'api_key_id', 'scope_id', 'scope_kind', 'service_tier', 'is_batch',
    'uncached_input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'output_tokens',
    'input_audio_tokens', 'output_audio_tokens', 'requests', 'web_search_requests',
] -%}
{%- set expressions = {
    'openai': {'scope_id': 'project_id', 'scope_kind': "'project'"},
    'anthropic': {
        'scope_id': 'workspace_id',
        'scope_kind': "'workspace'",
        'is_batch': 'false',
        'input_audio_tokens': 'cast(0 as bigint)',
        'output_audio_tokens': 'cast(0 as bigint)',
        'requests': 'cast(null as bigint)',
    },
} -%}
with

{{ tl_provider_reports_union('usage', 'usage_date', columns, expressions) }},

daily as (

    select
        provider,
        cast(usage_date as date) as usage_date,
        model,
        api_key_id,
        scope_kind,
        scope_id,
        service_tier,
        is_batch,
        sum(uncached_input_tokens) as uncached_input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_5m_tokens) as cache_write_5m_tokens,
        sum(cache_write_1h_tokens) as cache_write_1h_tokens,
        sum(output_tokens) as output_tokens,
        sum(input_audio_tokens) as input_audio_tokens,
        sum(output_audio_tokens) as output_audio_tokens,
        sum(
            uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens + output_tokens
            + input_audio_tokens + output_audio_tokens
        ) as total_tokens,
        sum(requests) as requests,
        sum(web_search_requests) as web_search_requests
    from unioned
    group by 1, 2, 3, 4, 5, 6, 7, 8

),

final as (

    select
        {{ tl_key(['provider', 'usage_date', 'model', 'api_key_id', 'scope_id', 'service_tier', 'is_batch']) }} as usage_key,
        *
    from daily

)

select * from final
