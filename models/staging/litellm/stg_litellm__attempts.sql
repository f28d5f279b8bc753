{#-
  LiteLLM's attempts in the conformed contract (tl_attempt_columns): one per spend-log request_id.
  LiteLLM logs the provider's response id as its request_id.
-#}
{{ tl_conformed_attempts(
    'litellm',
    ref('stg_litellm__spend_logs'),
    {
        'attempt_id': 'request_id', 'retry_of': none, 'attempt_number': none, 'response_id': 'request_id',
        'is_batch': none, 'service_tier': none, 'agent': none, 'project': none, 'environment': none,
        'input_audio_tokens': none, 'output_audio_tokens': none, 'web_search_requests': none,
    },
    extra=['file_path', 'reported_cost_usd']
) }}
