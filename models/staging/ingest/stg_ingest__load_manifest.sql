{#-
  The ingest's bookkeeping (raw.load_manifest): one row per file the ingest saw, loaded, skipped
  (already loaded) or refused, with the unload of a load (raw.load_unloads, `tokenledger unload`)
  when it was taken out of the ledger. Marts read it through here (the close records the last load it saw).
-#}
with

source as (

    select * from {{ source('ingest', 'load_manifest') }}

),

unloads as (

    select * from {{ source('ingest', 'load_unloads') }}

),

final as (

    select
        {{ tl_key(['source.load_id', 'source.file_path', 'source.file_sha256', 'source.started_at']) }} as manifest_row_key,
        source.load_id,
        source.file_path,
        source.file_name,
        source.file_sha256,
        source.file_bytes,
        source.format,
        source.rows,
        source.status,
        source.message,
        source.started_at,
        source.loaded_at,
        unloads.unloaded_at,
        unloads.unloaded_by,
        unloads.unload_reason
    from source
    left join unloads
        on source.load_id = unloads.load_id
            and source.status = 'loaded'

)

select * from final
