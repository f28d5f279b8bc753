{#-
  One row per Bedrock invocation log record staging rejected (a whole-file document holds many: the row
  key tells them apart). The reject contract every source's staging ends in (tl_rejecting_sources):
  source, row_key, load_id, file_path, source_row_number, record_id, reject_reason, raw_record;
  audit.rejected_rows is their union.
-#}
with

parsed as (

    select * from {{ ref('base_bedrock__invocations_parsed') }}

),

final as (

    select
        'bedrock' as source,
        record_row_key as row_key,
        load_id,
        file_path,
        line_number as source_row_number,
        request_id as record_id,
        reject_reason,
        raw_record
    from parsed
    where reject_reason is not null

)

select * from final
