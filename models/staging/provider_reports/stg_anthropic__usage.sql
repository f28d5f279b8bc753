{#-
  Anthropic Admin API usage report (messages) results, one row per bucket and group. The input
  buckets are already split: uncached input, cache creation (5-minute and 1-hour) and cache reads.
  A result delivered again in a later page download replaces the earlier copy.
-#}
{%- set fields = {
    'uncached_input_tokens_text': '$.uncached_input_tokens',
    'cache_write_5m_tokens_text': '$.cache_creation.ephemeral_5m_input_tokens',
    'cache_write_1h_tokens_text': '$.cache_creation.ephemeral_1h_input_tokens',
    'cache_read_tokens_text': '$.cache_read_input_tokens',
    'output_tokens_text': '$.output_tokens',
    'web_search_requests_text': '$.server_tool_use.web_search_requests',
    'api_key_id': '$.api_key_id',
    'workspace_id': '$.workspace_id',
    'model_text': '$.model',
    'service_tier': '$.service_tier',
    'context_window': '$.context_window',
} -%}
{%- set count_columns = [
    'uncached_input_tokens_text',
    'cache_write_5m_tokens_text',
    'cache_write_1h_tokens_text',
    'cache_read_tokens_text',
    'output_tokens_text',
    'web_search_requests_text',
] -%}
{%- set columns = {
    'model': tl_nullif_blank('model_text'),
    'workspace_id': tl_nullif_blank('workspace_id'),
    'api_key_id': tl_nullif_blank('api_key_id'),
    'service_tier': tl_nullif_blank('service_tier'),
    'context_window': tl_nullif_blank('context_window'),
    'uncached_input_tokens': 'uncached_input_tokens',
    'cache_read_tokens': 'cache_read_tokens',
    'cache_write_5m_tokens': 'cache_write_5m_tokens',
    'cache_write_1h_tokens': 'cache_write_1h_tokens',
    'output_tokens': 'output_tokens',
    'reported_input_tokens': 'uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens',
    'web_search_requests': 'web_search_requests',
} -%}
{{ tl_report_staging(
    'anthropic_usage', fields, ['$.model', '$.api_key_id', '$.workspace_id', '$.service_tier', '$.context_window'],
    columns, count_columns
) }}
