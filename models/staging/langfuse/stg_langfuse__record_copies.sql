{#-
  Every valid Langfuse observation, each a copy of one observation id: the parsed columns, then the
  copy contract (tl_record_copy_columns). A document holds many observations: they are told apart by
  their row key. The latest-copy rule (tl_copy_rank): 1 = the copy from the most recently loaded file
  (within one file, the later document, then row key). stg_langfuse__observations keeps copy_rank 1;
  audit.duplicate_records lists the others.
-#}
{{ tl_record_copies('langfuse', ref('base_langfuse__observations_parsed'), {
    'record_id': 'observation_id', 'row_key': 'record_row_key', 'row_number': 'line_number',
    'position': ['document_number', 'record_row_key']
}) }}
