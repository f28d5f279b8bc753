{#-
  Every valid OpenTelemetry span delivered, each a copy of one span (trace_id, span_id; record id
  trace_id:span_id): the parsed columns, then the copy contract (tl_record_copy_columns). A document
  holds many spans: its spans are told apart by their row key. The latest-copy rule (tl_copy_rank):
  1 = the copy from the most recently loaded file (within one file, the later document, then row key).
  stg_otel__spans keeps copy_rank 1; audit.duplicate_records lists the others.
-#}
with

parsed as (

    select * from {{ ref('base_otel__spans_parsed') }}

),

valid_spans as (

    select * from parsed
    where reject_reason is null
        and span_id is not null

),

final as (

    select
        span_row_key,
        load_id,
        file_path,
        file_sha256,
        document_number,
        line_number,
        loaded_at,
        trace_id,
        span_id,
        parent_span_id,
        span_name,
        scope_name,
        scope_version,
        occurred_at,
        provider_hint,
        operation_name,
        model_requested,
        response_id,
        is_failed,
        has_usage,
        agent,
        tag_team,
        project,
        environment,
        customer,
        input_includes_cache,
        uncached_input_tokens,
        cache_read_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        output_tokens,
        reasoning_tokens,
        source_input_tokens,
        reported_cost_usd,
        record_hash,
        reject_reason,
        raw_record,
        'otel' as copy_source,
        {{ dbt.concat(['trace_id', "':'", 'span_id']) }} as copy_record_id,
        span_row_key as copy_row_key,
        line_number as copy_source_row_number,
        {{ tl_copy_rank('trace_id, span_id', ['document_number', 'span_row_key']) }} as copy_rank,
        count(*) over (partition by trace_id, span_id) as copies
    from valid_spans

)

select * from final
