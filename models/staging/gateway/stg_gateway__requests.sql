{#-
  Valid gateway attempts, one row per request_id. When the same request_id was delivered more
  than once, the valid copy from the most recently loaded file wins (within one file, the later
  line); the others are listed in audit.duplicate_records. The rule lives in
  stg_gateway__record_copies: this keeps its copy_rank 1.
-#}
{{ tl_latest_copies('gateway', [
    'request_id', 'retry_of', 'attempt_number', 'occurred_at', 'provider_hint', 'model_requested',
    'endpoint', 'status_code', 'is_failed', 'has_usage', 'usage_shape', 'response_id', 'is_batch',
    'service_tier', 'agent', 'api_key_id', 'user_email', 'tag_team', 'project', 'environment', 'customer',
    'uncached_input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens',
    'output_tokens', 'reasoning_tokens', 'input_audio_tokens', 'output_audio_tokens', 'web_search_requests',
    'source_input_tokens', 'copies', 'load_id', 'file_path', 'line_number', 'record_hash',
]) }}
