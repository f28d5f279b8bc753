{#-
  One row per Bedrock invocation log record staging rejected (a whole-file document holds many: the row
  key tells them apart). The reject contract every source's staging ends in (tl_rejecting_sources):
  source, row_key, load_id, file_path, source_row_number, record_id, reject_reason, raw_record;
  audit.rejected_rows is their union.
-#}
{{ tl_rejected_rows('bedrock', ref('base_bedrock__invocations_parsed'), {
    'row_key': 'record_row_key', 'source_row_number': 'line_number', 'record_id': 'request_id',
    'raw_record': 'raw_record'
}) }}
