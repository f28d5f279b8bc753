{#-
  OpenAI organization Usage API (completions) results, one row per bucket and group. input_tokens
  counts text input including the cached part (input_cached_tokens): uncached text input is the
  remainder; audio input and output are separate counts, as in the request ledger. A result delivered again in a later page download replaces the earlier copy.
-#}
{%- set fields = {
    'input_tokens_text': '$.input_tokens',
    'output_tokens_text': '$.output_tokens',
    'input_cached_tokens_text': '$.input_cached_tokens',
    'input_audio_tokens_text': '$.input_audio_tokens',
    'output_audio_tokens_text': '$.output_audio_tokens',
    'num_model_requests_text': '$.num_model_requests',
    'project_id': '$.project_id',
    'user_id': '$.user_id',
    'api_key_id': '$.api_key_id',
    'model_text': '$.model',
    'batch_text': '$.batch',
    'service_tier': '$.service_tier',
} -%}
{%- set count_columns = [
    'input_tokens_text',
    'output_tokens_text',
    'input_cached_tokens_text',
    'input_audio_tokens_text',
    'output_audio_tokens_text',
    'num_model_requests_text',
] -%}
with

results as (

    {{ tl_report_results(
        'openai_usage', fields, ['$.model', '$.project_id', '$.user_id', '$.api_key_id', '$.batch', '$.service_tier']
    ) }}

),

counted as (

    select
        *,
        {%- for col in count_columns %}
            {{ tl_token_count(col) }} as {{ col[:-5] }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from results

),

final as (

    select
        result_row_key,
        'openai' as provider,
        bucket_start,
        bucket_end,
        {{ tl_nullif_blank('model_text') }} as model,
        {{ tl_nullif_blank('project_id') }} as project_id,
        {{ tl_nullif_blank('user_id') }} as user_id,
        {{ tl_nullif_blank('api_key_id') }} as api_key_id,
        lower(batch_text) in ('true', '1') as is_batch,
        {{ tl_nullif_blank('service_tier') }} as service_tier,
        input_tokens - input_cached_tokens as uncached_input_tokens,
        input_cached_tokens as cache_read_tokens,
        cast(0 as bigint) as cache_write_5m_tokens,
        cast(0 as bigint) as cache_write_1h_tokens,
        output_tokens,
        input_audio_tokens,
        output_audio_tokens,
        input_tokens + input_audio_tokens as reported_input_tokens,
        num_model_requests as requests,
        cast(0 as bigint) as web_search_requests,
        load_id,
        file_path
    from counted

)

select * from final
