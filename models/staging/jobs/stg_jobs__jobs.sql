{#-
  Valid Jobs-export attempts, one row per job_id. Overlapping exports repeat rows: the valid copy
  from the most recently loaded file wins (within one file, the later row); the others are listed
  in audit.duplicate_records. The rule lives in stg_jobs__record_copies: this keeps its copy_rank 1.
-#}
{{ tl_latest_copies('jobs', [
    'job_id', 'retry_of', 'attempt_number', 'occurred_at', 'provider_hint', 'model_requested', 'status',
    'is_failed', 'has_usage', 'agent', 'api_key_id', 'user_email', 'workflow', 'has_invalid_labels',
    'tag_team', 'project', 'environment', 'customer', 'uncached_input_tokens', 'cache_read_tokens',
    'cache_write_5m_tokens', 'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens',
    'source_input_tokens', 'copies', 'load_id', 'file_path', 'source_row_number', 'record_hash',
]) }}
