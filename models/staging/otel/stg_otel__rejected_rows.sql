{#-
  One row per OTel span staging rejected (a document holds many: the row key tells them apart; the row's place is its document's first line). The reject contract every source's staging ends in
  (tl_rejecting_sources): source, row_key, load_id, file_path, source_row_number, record_id,
  reject_reason, raw_record; audit.rejected_rows is their union.
-#}
{{ tl_rejected_rows('otel', ref('base_otel__spans_parsed'), {
    'row_key': 'span_row_key', 'source_row_number': 'line_number', 'record_id': 'span_id',
    'raw_record': 'raw_record'
}) }}
