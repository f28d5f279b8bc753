{#-
  One row per gateway line staging rejected. The reject contract every source's staging ends in
  (tl_rejecting_sources): source, row_key, load_id, file_path, source_row_number, record_id,
  reject_reason, raw_record; audit.rejected_rows is their union.
-#}
{{ tl_rejected_rows('gateway', ref('base_gateway__requests_parsed'), {
    'row_key': tl_load_row_key('line_number'), 'source_row_number': 'line_number',
    'record_id': 'request_id', 'raw_record': 'raw_line'
}) }}
