{#-
  One row per Jobs export record staging rejected. The reject contract every source's staging ends in
  (tl_rejecting_sources): source, row_key, load_id, file_path, source_row_number, record_id,
  reject_reason, raw_record; audit.rejected_rows is their union. A record the CSV reader could not split
  keeps its raw text; a parsed one is shown as its known fields.
-#}
{{ tl_rejected_rows('jobs', ref('base_jobs__jobs_parsed'), {
    'row_key': tl_load_row_key('source_row_number'), 'source_row_number': 'source_row_number',
    'record_id': 'job_id',
    'raw_record': 'coalesce(raw_record, ' ~ dbt.concat([
            "coalesce(job_id, '')", "','", "coalesce(created_at_text, '')", "','", "coalesce(model_requested, '')",
            "','", "coalesce(input_tokens_text, '')", "','", "coalesce(cached_input_tokens_text, '')", "','",
            "coalesce(output_tokens_text, '')", "','", "coalesce(status, '')"
        ]) ~ ')'
}) }}
