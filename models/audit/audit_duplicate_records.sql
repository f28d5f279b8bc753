{{ config(alias='duplicate_records') }}
{#-
  Valid copies of a record id (job_id / request_id / trace_id:span_id) that lost to another copy:
  overlapping exports and re-deliveries. Each source's latest-copy rule lives in its staging folder
  (stg_<source>__record_copies, the copy contract tl_record_copy_columns): the winner is its copy_rank 1,
  the copy from the most recently loaded file (within one file, the later line or record); this lists
  every other copy, over every registered source (tl_union_record_copies). `is_conflict` marks copies
  whose content differs from the winner's.
  A kept table (macros/incremental/kept_tables.sql): rebuilt whole when what it reads changed, kept otherwise.
-#}
{{ tl_kept_table_config() }}
with

record_copies as (

    -- Every registered source's copies in the copy contract (macros/staging/usage_sources.sql).
    {{- tl_union_record_copies() }}

),

winners as (

    select * from record_copies
    where copy_rank = 1

),

losers as (

    select * from record_copies
    where copy_rank > 1

),

final as (

    select
        {{ dbt.concat(['losers.copy_source', "':'", 'losers.copy_row_key']) }} as duplicate_row_key,
        losers.copy_source as source,
        losers.copy_record_id as record_id,
        losers.load_id,
        losers.file_path,
        losers.copy_source_row_number as source_row_number,
        winners.load_id as kept_load_id,
        winners.file_path as kept_file_path,
        winners.copy_source_row_number as kept_source_row_number,
        losers.record_hash <> winners.record_hash as is_conflict
    from losers
    inner join winners
        on losers.copy_source = winners.copy_source
            and losers.copy_record_id = winners.copy_record_id

)

select * from final
{{ tl_no_rows_when_kept() }}
