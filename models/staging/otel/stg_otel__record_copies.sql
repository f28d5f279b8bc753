{#-
  Every valid OpenTelemetry span delivered, each a copy of one span (trace_id, span_id; record id
  trace_id:span_id): the parsed columns, then the copy contract (tl_record_copy_columns). A document
  holds many spans: its spans are told apart by their row key. The latest-copy rule (tl_copy_rank):
  1 = the copy from the most recently loaded file (within one file, the later document, then row key).
  stg_otel__spans keeps copy_rank 1; audit.duplicate_records lists the others.
-#}
{{ tl_record_copies('otel', ref('base_otel__spans_parsed'), {
    'record_id': dbt.concat(['trace_id', "':'", 'span_id']), 'partition_by': 'trace_id, span_id',
    'row_key': 'span_row_key', 'row_number': 'line_number',
    'position': ['document_number', 'span_row_key']
}) }}
