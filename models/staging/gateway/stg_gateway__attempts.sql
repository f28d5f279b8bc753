{#-
  The gateway's attempts in the conformed contract (tl_attempt_columns): one per request_id.
-#}
{{ tl_conformed_attempts(
    'gateway',
    ref('stg_gateway__requests'),
    {'attempt_id': 'request_id'},
    extra=['file_path', 'copies']
) }}
