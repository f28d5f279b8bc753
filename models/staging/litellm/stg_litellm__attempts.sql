{#-
  LiteLLM's attempts in the conformed contract (tl_attempt_columns): one per spend-log request_id.
  response_id is the provider's id as staging finds it (never LiteLLM's own request id).
-#}
{{ tl_conformed_attempts(
    'litellm',
    ref('stg_litellm__spend_logs'),
    {
        'attempt_id': 'request_id', 'retry_of': none, 'attempt_number': none,
        'is_batch': none, 'service_tier': none, 'agent': none,
        'input_audio_tokens': none, 'output_audio_tokens': none, 'web_search_requests': none,
    },
    extra=['file_path', 'reported_cost_usd']
) }}
