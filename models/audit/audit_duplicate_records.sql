{{ config(alias='duplicate_records') }}
{#-
  Valid copies of a record id (job_id / request_id) that lost to another copy: overlapping exports
  and re-deliveries. The winner is the copy from the most recently loaded file (within one file, the
  later line). `is_conflict` marks copies whose content differs from the winner's.
-#}
with

gateway as (

    select * from {{ ref('base_gateway__requests_parsed') }}

),

jobs as (

    select * from {{ ref('base_jobs__jobs_parsed') }}

),

copies as (

    select
        'gateway' as source,
        request_id as record_id,
        load_id,
        file_path,
        line_number as source_row_number,
        record_hash
    from gateway
    where reject_reason is null

    union all

    select
        'jobs' as source,
        job_id as record_id,
        load_id,
        file_path,
        source_row_number,
        record_hash
    from jobs
    where reject_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by source, record_id
            order by load_id desc, source_row_number desc
        ) as copy_rank
    from copies

),

winners as (

    select * from ranked
    where copy_rank = 1

),

final as (

    select
        {{ dbt.concat(['losers.source', "':'", dbt.cast('losers.load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('losers.source_row_number', api.Column.translate_type('string'))]) }} as duplicate_row_key,
        losers.source,
        losers.record_id,
        losers.load_id,
        losers.file_path,
        losers.source_row_number,
        winners.load_id as kept_load_id,
        winners.file_path as kept_file_path,
        winners.source_row_number as kept_source_row_number,
        losers.record_hash <> winners.record_hash as is_conflict
    from ranked as losers
    inner join winners
        on losers.source = winners.source
            and losers.record_id = winners.record_id
    where losers.copy_rank > 1

)

select * from final
