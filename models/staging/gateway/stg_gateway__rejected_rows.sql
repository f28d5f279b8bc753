{#-
  One row per gateway line staging rejected. The reject contract every source's staging ends in
  (tl_rejecting_sources): source, row_key, load_id, file_path, source_row_number, record_id,
  reject_reason, raw_record; audit.rejected_rows is their union.
-#}
with

parsed as (

    select * from {{ ref('base_gateway__requests_parsed') }}

),

final as (

    select
        'gateway' as source,
        {{ dbt.concat([dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('line_number', api.Column.translate_type('string'))]) }} as row_key,
        load_id,
        file_path,
        line_number as source_row_number,
        request_id as record_id,
        reject_reason,
        raw_line as raw_record
    from parsed
    where reject_reason is not null

)

select * from final
