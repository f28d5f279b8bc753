{#-
  OTel's attempts in the conformed contract (tl_attempt_columns): the spans that are calls (a span
  repeating another's usage, or reporting none, is not: collapse_rule). Spans have no retry chain,
  API key or user.
-#}
{{ tl_conformed_attempts(
    'otel',
    ref('stg_otel__spans'),
    {
        'attempt_id': 'span_key', 'retry_of': none, 'attempt_number': none, 'is_batch': none, 'service_tier': none,
        'api_key_id': none, 'user_email': none,
        'input_audio_tokens': none, 'output_audio_tokens': none, 'web_search_requests': none,
    },
    extra=['file_path', 'trace_id', 'reported_cost_usd'],
    where="collapse_rule is null"
) }}
