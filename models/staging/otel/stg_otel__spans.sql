{#-
  Every OpenTelemetry span delivered, one row per span (trace_id, span_id); only spans reporting
  token usage can be usage events (others: collapse_rule = no_usage). Three rules keep a call from
  counting twice:
  1. delivery: the same span (trace_id, span_id) delivered again keeps the copy from the most
     recently loaded file (within one file, the later document); the other copies are listed in
     audit.duplicate_records and are not rows here;
  2. parent usage: a span whose child span in the same trace also reports usage is an aggregate
     (an agent span repeating or summing its calls' usage): usage is counted on the children;
  3. response id: spans left that share a gen_ai.response.id are one call; the latest-starting
     (innermost) span is kept, then the lowest span id.
  Rules 2 and 3 keep the span here with `collapse_rule` set (parent_usage / same_response) and
  `collapsed_into` (the span kept, for rule 3); only spans with collapse_rule NULL are usage events.
  audit.cross_source_duplicates lists the spans collapsed by rules 2 and 3.
  Missing ownership attributes (agent, team, project, customer, environment) are inherited from
  the parent span when it has them.
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

delivered as (

    select
        *,
        row_number() over (
            partition by trace_id, span_id
            order by load_id desc, document_number desc, span_row_key desc
        ) as copy_rank
    from valid_spans

),

spans as (

    select * from delivered
    where copy_rank = 1

),

parents_with_usage as (

    select distinct
        trace_id,
        parent_span_id as span_id
    from spans
    where has_usage
        and parent_span_id is not null

),

flagged as (

    select
        spans.*,
        case
            when not spans.has_usage then 'no_usage'
            when parents_with_usage.span_id is not null then 'parent_usage'
        end as early_rule
    from spans
    left join parents_with_usage
        on spans.trace_id = parents_with_usage.trace_id
            and spans.span_id = parents_with_usage.span_id

),

by_response as (

    select
        *,
        case
            when early_rule is not null or response_id is null then 1
            else row_number() over (
                    partition by response_id, early_rule
                    order by occurred_at desc, span_id asc
                )
        end as response_rank,
        case
            when early_rule is null and response_id is not null then first_value(
                    {{ dbt.concat(['trace_id', "':'", 'span_id']) }}
                ) over (
                    partition by response_id, early_rule
                    order by occurred_at desc, span_id asc
                    rows between unbounded preceding and unbounded following
                )
        end as response_span_key
    from flagged

),

with_parent as (

    select
        by_response.*,
        parent.agent as parent_agent,
        parent.tag_team as parent_tag_team,
        parent.project as parent_project,
        parent.environment as parent_environment,
        parent.customer as parent_customer
    from by_response
    left join spans as parent
        on by_response.trace_id = parent.trace_id
            and by_response.parent_span_id = parent.span_id

),

final as (

    select
        {{ dbt.concat(['trace_id', "':'", 'span_id']) }} as span_key,
        case
            when early_rule is not null then early_rule
            when response_rank > 1 then 'same_response'
        end as collapse_rule,
        case when response_rank > 1 then response_span_key end as collapsed_into,
        trace_id,
        span_id,
        parent_span_id,
        span_name,
        operation_name,
        occurred_at,
        provider_hint,
        model_requested,
        response_id,
        is_failed,
        has_usage,
        coalesce(agent, parent_agent) as agent,
        coalesce(tag_team, parent_tag_team) as tag_team,
        coalesce(project, parent_project) as project,
        coalesce(environment, parent_environment) as environment,
        coalesce(customer, parent_customer) as customer,
        uncached_input_tokens,
        cache_read_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        output_tokens,
        reasoning_tokens,
        source_input_tokens,
        load_id,
        file_path,
        document_number,
        record_hash
    from with_parent

)

select * from final
