{#-
  Langfuse's attempts in the conformed contract (tl_attempt_columns): the observations that are calls
  (generations and embeddings), one per observation id. Langfuse keeps no retry chain, provider API key,
  batch flag or service tier. response_id is the provider's id only when the observation's metadata
  carries it (gen_ai.response.id). Langfuse's own cost (reported_cost_usd) follows the contract, for
  audit.reported_cost_disagreements.
-#}
{{ tl_conformed_attempts(
    'langfuse',
    ref('stg_langfuse__observations'),
    {
        'attempt_id': 'observation_id', 'retry_of': none, 'attempt_number': none,
        'is_batch': none, 'service_tier': none, 'api_key_id': none, 'web_search_requests': none,
    },
    extra=['file_path', 'trace_id', 'reported_cost_usd'],
    where="is_call"
) }}
