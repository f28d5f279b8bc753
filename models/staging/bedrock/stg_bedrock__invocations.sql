{#-
  Valid Bedrock model invocations, one row per requestId: when a record was delivered more than once,
  the copy from the most recently loaded file wins (stg_bedrock__record_copies; the others are listed
  in audit.duplicate_records). The team tag is requestMetadata's `team`, as written (attribution
  compares it case-insensitively with org/teams.csv).
-#}
{{ tl_latest_copies('bedrock', [
    'request_id', 'response_id', 'api_operation', 'occurred_at', 'provider_hint', 'model_requested',
    'model_id_logged', 'account_id', 'region', 'error_code', 'is_failed', 'has_usage', 'identity_arn',
    'api_key_id', 'user_email', 'agent', 'team_text as tag_team', 'project', 'environment', 'customer',
    'request_metadata', 'uncached_input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens',
    'cache_write_1h_tokens', 'output_tokens', 'source_input_tokens', 'load_id', 'file_path',
    'document_number', 'record_hash'
]) }}
