{#-
  Every valid LiteLLM spend-log record, each a copy of one request_id: the parsed columns, then the
  copy contract (tl_record_copy_columns). A document holds many records: they are told apart by their
  row key. The latest-copy rule (tl_copy_rank): 1 = the copy from the most recently loaded file
  (within one file, the later document, then row key). stg_litellm__spend_logs keeps copy_rank 1;
  audit.duplicate_records lists the others.
-#}
{{ tl_record_copies('litellm', ref('base_litellm__spend_logs_parsed'), {
    'record_id': 'request_id', 'row_key': 'record_row_key', 'row_number': 'line_number',
    'position': ['document_number', 'record_row_key']
}) }}
