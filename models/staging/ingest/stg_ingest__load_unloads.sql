{#-
  Loads taken out of the ledger by `tokenledger unload` (raw.load_unloads): one row per unloaded load,
  with who, when and why. The base models, the incremental facts and the audits read the unloaded
  loads through here (macros/incremental/unloaded_loads.sql).
-#}
with

source as (

    select * from {{ source('ingest', 'load_unloads') }}

),

final as (

    select
        load_id,
        unloaded_at,
        unloaded_by,
        unload_reason
    from source
    where load_id is not null

)

select * from final
