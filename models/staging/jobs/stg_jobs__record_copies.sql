{#-
  Every valid Jobs export record, each a copy of one job_id (overlapping exports repeat rows): the
  parsed columns, then the copy contract (tl_record_copy_columns). The latest-copy rule (tl_copy_rank):
  1 = the copy from the most recently loaded file (within one file, the later row). stg_jobs__jobs
  keeps copy_rank 1; audit.duplicate_records lists the others.
-#}
{{ tl_record_copies('jobs', ref('base_jobs__jobs_parsed'), {
    'record_id': 'job_id', 'row_key': tl_load_row_key('source_row_number'),
    'row_number': 'source_row_number', 'position': ['source_row_number']
}) }}
