{#-
  Every result row of every landed provider admin report page (formats openai_usage, openai_costs,
  anthropic_usage, anthropic_costs): one row per element of a bucket's `results`, with its bucket's
  time range, plus one row per page that could not be read (reject_reason says why). A document
  is one page or a JSON array of pages; a page is `{data: [bucket...]}` with
  bucket = `{start_time, end_time | starting_at, ending_at, results: [...]}`.
-#}
{{ tl_base_parser_config() }}
with

{{ tl_source_documents(['openai_usage', 'openai_costs', 'anthropic_usage', 'anthropic_costs']) }},

-- A document is one page or a JSON array of pages.
pages as (

    {{ tl_json_elements(
        'documents', 'doc', 'doc_type',
        ['load_id', 'file_path', 'file_sha256', 'format', 'document_number', 'line_number', 'loaded_at', 'raw_document', 'doc_type'],
        'page'
    ) }}

),

judged_pages as (

    select
        *,
        row_number() over (
            partition by load_id, document_number order by {{ dbt.cast('page', api.Column.translate_type('string')) }}
        ) as page_number,
        case
            when doc_type is null then 'invalid_json'
            when {{ tl_json_type('page') }} <> 'OBJECT' then 'json_not_object'
            when coalesce({{ tl_json_type('page', '$.data') }}, 'NULL') <> 'ARRAY' then 'missing_data'
        end as reject_reason
    from pages

),

buckets as (

    select
        {{ tl_document_lineage(['format']) }},
        page_number,
        {{ tl_json_array_rows('page', '$.data') }} as bucket
    from judged_pages
    where reject_reason is null

),

results as (

    select
        {{ tl_document_lineage(['format']) }},
        page_number,
        {{ tl_json_texts('bucket', ['$.start_time', '$.end_time', '$.starting_at', '$.ending_at']) }} as bucket_times,
        {{ tl_json_array_rows('bucket', '$.results') }} as result
    from buckets

),

timed as (

    select
        {{ tl_document_lineage(['format']) }},
        page_number,
        coalesce(
            {{ tl_timestamp_from_unix_seconds(tl_list_element('bucket_times', 1)) }},
            {{ tl_parse_utc_timestamp(tl_list_element('bucket_times', 3)) }}
        ) as bucket_start,
        coalesce(
            {{ tl_timestamp_from_unix_seconds(tl_list_element('bucket_times', 2)) }},
            {{ tl_parse_utc_timestamp(tl_list_element('bucket_times', 4)) }}
        ) as bucket_end,
        result,
        {{ dbt.hash(dbt.cast('result', api.Column.translate_type('string'))) }} as record_hash
    from results

),

valid_shape as (

    select
        *,
        case
            when {{ tl_json_type('result') }} <> 'OBJECT' then 'json_not_object'
            when bucket_start is null then 'invalid_timestamp'
            when {{ tl_implausible_timestamp('bucket_start') }} then 'implausible_timestamp'
        end as reject_reason,
        cast(null as {{ dbt.type_string() }}) as raw_record
    from timed

),

rejected_pages as (

    select
        {{ tl_document_lineage(['format']) }},
        page_number,
        cast(null as timestamp) as bucket_start,
        cast(null as timestamp) as bucket_end,
        {{ tl_json_parse('cast(null as ' ~ dbt.type_string() ~ ')') }} as result,
        {{ dbt.hash('raw_document') }} as record_hash,
        reject_reason,
        case
            when doc_type = 'ARRAY' then {{ dbt.cast('page', api.Column.translate_type('string')) }}
            else raw_document
        end as raw_record
    from judged_pages
    where reject_reason is not null

),

unioned as (

    select * from valid_shape
    union all
    select * from rejected_pages

),

final as (

    select
        {{ tl_document_row_key('page_number, bucket_start, record_hash') }} as result_row_key,
        {{ tl_document_lineage(['format']) }},
        page_number,
        bucket_start,
        bucket_end,
        result,
        record_hash,
        reject_reason,
        case when reject_reason is not null then coalesce(raw_record, {{ dbt.cast('result', api.Column.translate_type('string')) }}) end
            as raw_record
    from unioned

)

select * from final
