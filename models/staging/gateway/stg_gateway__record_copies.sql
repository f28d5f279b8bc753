{#-
  Every valid gateway line, each a copy of one request_id: the parsed columns, then the copy contract
  (tl_record_copy_columns). The latest-copy rule (tl_copy_rank): 1 = the copy from the most recently
  loaded file (within one file, the later line). stg_gateway__requests keeps copy_rank 1;
  audit.duplicate_records lists the others.
-#}
{{ tl_record_copies('gateway', ref('base_gateway__requests_parsed'), {
    'record_id': 'request_id', 'row_key': tl_load_row_key('line_number'), 'row_number': 'line_number',
    'position': ['line_number']
}) }}
