{{ config(alias='rejected_rows') }}
{#-
  Every raw row that staging rejected, with the reason and its lineage. Nothing is dropped
  silently: raw rows = attempts in events + duplicates + these rows (tested). Each source's staging
  settles its own rejects in stg_<source>__rejected_rows (the reject contract); this is their union
  over the registry, tl_rejecting_sources.
-#}
with

unioned as (

    -- Every rejecting source's rows in the reject contract (macros/staging/usage_sources.sql).
    {{- tl_union_rejected_rows() }}

),

final as (

    select
        {{ dbt.concat(['source', "':'", 'row_key']) }} as rejected_row_key,
        source,
        load_id,
        file_path,
        source_row_number,
        record_id,
        reject_reason,
        raw_record
    from unioned

)

select * from final
