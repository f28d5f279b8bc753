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
{%- set columns = {
    'model': tl_nullif_blank('model_text'),
    'project_id': tl_nullif_blank('project_id'),
    'user_id': tl_nullif_blank('user_id'),
    'api_key_id': tl_nullif_blank('api_key_id'),
    'is_batch': "lower(batch_text) in ('true', '1')",
    'service_tier': tl_nullif_blank('service_tier'),
    'uncached_input_tokens': 'input_tokens - input_cached_tokens',
    'cache_read_tokens': 'input_cached_tokens',
    'cache_write_5m_tokens': 'cast(0 as bigint)',
    'cache_write_1h_tokens': 'cast(0 as bigint)',
    'output_tokens': 'output_tokens',
    'input_audio_tokens': 'input_audio_tokens',
    'output_audio_tokens': 'output_audio_tokens',
    'reported_input_tokens': 'input_tokens + input_audio_tokens',
    'requests': 'num_model_requests',
    'web_search_requests': 'cast(0 as bigint)',
} -%}
{{ tl_report_staging(
    'openai_usage', fields, ['$.model', '$.project_id', '$.user_id', '$.api_key_id', '$.batch', '$.service_tier'],
    columns, count_columns
) }}
