{#-
  Bedrock's attempts in the conformed contract (tl_attempt_columns): one per invocation requestId.
  The API key is the caller's IAM identity (an assumed role reduced to the role's ARN); response_id
  is the provider's message id when the output body carries one (Anthropic on InvokeModel). No retry
  chain, batch flag, service tier, reasoning, audio or web-search counts are logged.
-#}
{{ tl_conformed_attempts(
    'bedrock',
    ref('stg_bedrock__invocations'),
    {
        'attempt_id': 'request_id', 'retry_of': none, 'attempt_number': none,
        'is_batch': none, 'service_tier': none, 'reasoning_tokens': 'cast(0 as bigint)',
        'input_audio_tokens': none, 'output_audio_tokens': none, 'web_search_requests': none,
    },
    extra=['file_path', 'api_operation', 'model_id_logged', 'account_id', 'region', 'error_code', 'identity_arn']
) }}
