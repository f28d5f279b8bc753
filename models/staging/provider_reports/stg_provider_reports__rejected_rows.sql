{#-
  One row per provider-report result staging rejected (source = the report's format). The reject contract every source's staging ends in
  (tl_rejecting_sources): source, row_key, load_id, file_path, source_row_number, record_id,
  reject_reason, raw_record; audit.rejected_rows is their union.
-#}
with

parsed as (

    select * from {{ ref('base_provider_reports__results_parsed') }}

),

final as (

    select
        format as source,
        result_row_key as row_key,
        load_id,
        file_path,
        line_number as source_row_number,
        cast(null as {{ api.Column.translate_type('string') }}) as record_id,
        reject_reason,
        raw_record
    from parsed
    where reject_reason is not null

)

select * from final
