{#-
  The ingest's bookkeeping (raw.load_manifest): one row per file the ingest saw, loaded, skipped
  (already loaded) or refused. Marts read it through here (the close records the last load it saw).
-#}
with

source as (

    select * from {{ source('ingest', 'load_manifest') }}

),

final as (

    select
        {{ tl_key(['load_id', 'file_path', 'file_sha256', 'started_at']) }} as manifest_row_key,
        load_id,
        file_path,
        file_name,
        file_sha256,
        file_bytes,
        format,
        rows,
        status,
        message,
        started_at,
        loaded_at
    from source

)

select * from final
