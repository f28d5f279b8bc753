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

otel as (

    select * from {{ ref('base_otel__spans_parsed') }}

),

litellm as (

    select * from {{ ref('base_litellm__spend_logs_parsed') }}

),

copies as (

    select
        'gateway' as source,
        request_id as record_id,
        load_id,
        file_path,
        line_number as source_row_number,
        record_hash,
        line_number as document_number,
        {{ dbt.concat([dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('line_number', api.Column.translate_type('string'))]) }} as row_key
    from gateway
    where reject_reason is null

    union all

    select
        'jobs' as source,
        job_id as record_id,
        load_id,
        file_path,
        source_row_number,
        record_hash,
        source_row_number as document_number,
        {{ dbt.concat([dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('source_row_number', api.Column.translate_type('string'))]) }} as row_key
    from jobs
    where reject_reason is null

    union all

    -- a document holds many records: they are told apart by their row key, in the same order as staging's
    select
        'otel' as source,
        {{ dbt.concat(['trace_id', "':'", 'span_id']) }} as record_id,
        load_id,
        file_path,
        line_number as source_row_number,
        record_hash,
        document_number,
        span_row_key as row_key
    from otel
    where reject_reason is null
        and span_id is not null

    union all

    select
        'litellm' as source,
        request_id as record_id,
        load_id,
        file_path,
        line_number as source_row_number,
        record_hash,
        document_number,
        record_row_key as row_key
    from litellm
    where reject_reason is null

),

ranked as (

    select
        *,
        {{ tl_copy_rank('source, record_id', ['document_number', 'row_key']) }} as copy_rank
    from copies

),

winners as (

    select * from ranked
    where copy_rank = 1

),

final as (

    select
        {{ dbt.concat(['losers.source', "':'", 'losers.row_key']) }} as duplicate_row_key,
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
