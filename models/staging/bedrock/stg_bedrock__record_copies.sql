{#-
  Every valid Bedrock invocation log record, each a copy of one requestId: the parsed columns, then the
  copy contract (tl_record_copy_columns). Bedrock may deliver a record twice (S3 and CloudWatch Logs, or
  an export taken twice): the latest-copy rule (tl_copy_rank) ranks 1 the copy from the most recently
  loaded file (within one file, the later document, then row key). stg_bedrock__invocations keeps
  copy_rank 1; audit.duplicate_records lists the others.
-#}
{{ tl_record_copies('bedrock', ref('base_bedrock__invocations_parsed'), {
    'record_id': 'request_id', 'row_key': 'record_row_key', 'row_number': 'line_number',
    'position': ['document_number', 'record_row_key']
}) }}
