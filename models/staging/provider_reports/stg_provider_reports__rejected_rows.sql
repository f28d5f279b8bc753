{#-
  One row per provider-report result staging rejected (source = the report's format). The reject contract every source's staging ends in
  (tl_rejecting_sources): source, row_key, load_id, file_path, source_row_number, record_id,
  reject_reason, raw_record; audit.rejected_rows is their union.
-#}
{{ tl_rejected_rows('provider_reports', ref('base_provider_reports__results_parsed'), {
    'source': 'format', 'row_key': 'result_row_key', 'source_row_number': 'line_number',
    'record_id': 'cast(null as ' ~ api.Column.translate_type('string') ~ ')', 'raw_record': 'raw_record'
}) }}
