{#-
  One row per OTel span staging rejected (a document holds many: the row key tells them apart; the row's place is its document's first line). The reject contract every source's staging ends in
  (tl_rejecting_sources): source, row_key, load_id, file_path, source_row_number, record_id,
  reject_reason, raw_record; audit.rejected_rows is their union.
-#}
with

parsed as (

    select * from {{ ref('base_otel__spans_parsed') }}

),

final as (

    select
        'otel' as source,
        span_row_key as row_key,
        load_id,
        file_path,
        line_number as source_row_number,
        span_id as record_id,
        reject_reason,
        raw_record
    from parsed
    where reject_reason is not null

)

select * from final
