{#-
  Valid Langfuse observations, one row per observation id: when an observation was delivered more than
  once (the API and the export, or two exports of one window), the copy from the most recently loaded
  file wins (within one file, the later document, then record); the others are listed in
  audit.duplicate_records. The rule lives in stg_langfuse__record_copies: this keeps its copy_rank 1.
  Only calls (is_call: generations and embeddings) become attempts; spans, events and the other types
  are kept here and counted as records that are not calls. The team (metadata.team, else a `team:`
  trace tag) is the team tag as written, lower-cased (audit.unknown_team_tags shows one that names no
  team). Langfuse's own cost is kept as reported_cost_usd.
-#}
{{ tl_latest_copies('langfuse', [
    'observation_id', 'trace_id', 'parent_observation_id', 'observation_type', 'observation_name', 'is_call',
    'response_id', 'occurred_at', 'provider_hint', 'model_requested', 'observation_level', 'status_message',
    'is_failed', 'has_usage', 'user_email', 'session_id', 'trace_release', 'lower(team_text) as tag_team',
    'project', 'environment', 'customer', 'agent', 'tags', 'reported_cost_usd', 'uncached_input_tokens',
    'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'output_tokens',
    'reasoning_tokens', 'input_audio_tokens', 'output_audio_tokens', 'source_input_tokens', 'load_id',
    'file_path', 'document_number', 'record_hash',
]) }}
