{#-
  The Jobs export's attempts in the conformed contract (tl_attempt_columns): one per job_id. Jobs
  carry no response id, batch flag, service tier or audio / web-search counts.
-#}
{{ tl_conformed_attempts(
    'jobs',
    ref('stg_jobs__jobs'),
    {
        'attempt_id': 'job_id', 'response_id': none, 'is_batch': none, 'service_tier': none,
        'input_audio_tokens': none, 'output_audio_tokens': none, 'web_search_requests': none,
    },
    extra=['file_path', 'copies']
) }}
