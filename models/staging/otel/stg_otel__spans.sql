{#-
  Every OpenTelemetry span delivered, one row per span (trace_id, span_id); only spans reporting
  token usage can be usage events (others: collapse_rule = no_usage). The rules, in the order they apply:
  1. delivery: the same span (trace_id, span_id) delivered again keeps the copy from the most
     recently loaded file (within one file, the later document); the other copies are listed in
     audit.duplicate_records and are not rows here (the rule lives in stg_otel__record_copies: this
     keeps its copy_rank 1);
  2. ancestor usage: a span with usage that has a descendant with usage, at any depth of the trace's
     span tree (agent -> step -> chat), is an aggregate (an agent span repeating or summing its calls'
     usage): usage is counted on the descendants (collapse_rule parent_usage). The tree follows
     parent_span_id within the trace up to the root or to a parent that was never delivered;
  3. response id: spans left that share a gen_ai.response.id are one call (two instrumentations of it,
     e.g. OpenLLMetry's span and the Anthropic SDK's own): the latest-starting (innermost) span is kept,
     then the lowest span id; the others are same_response, collapsed_into the span kept. The span kept
     carries the call's buckets merged bucket by bucket: for each of total input, cache read, cache write,
     1-hour cache write, output, reasoning (and the producer-reported cost) the greatest count any span of
     the call reports, the 5-minute write being the write total less the 1-hour part. Outer spans of the
     same call set aside by rule 2 (every usage descendant reports the same response id) take part in the
     merge. When the merged counts contradict each other (cache larger than input) the span kept keeps
     its own buckets. is_response_merged says the merge applied;
  4. ownership: agent, team, project, customer and environment missing on a span are taken from the
     nearest ancestor that sets them, each attribute on its own, up to the root; the span kept by rule 3
     fills what is still missing from the other spans of its call (by rule 3's order).
  Rules 2 and 3 keep the span here with `collapse_rule` set (parent_usage / same_response) and
  `collapsed_into` (the span kept, for rule 3); only spans with collapse_rule NULL are usage events.
  audit.cross_source_duplicates lists the spans collapsed by rules 2 and 3.
-#}
{%- set ownership_columns = ['agent', 'tag_team', 'project', 'environment', 'customer'] -%}
{%- set max_depth = 64 -%}
with recursive

record_copies as (

    select * from {{ ref('stg_otel__record_copies') }}

),

spans as (

    select * from record_copies
    where copy_rank = 1

),

-- Every (span, ancestor) pair of a trace, hops 1 = the parent, following parent_span_id up to the root
-- (or to a parent that was never delivered). The bound on hops stops a malformed cycle.
ancestry (trace_id, span_id, ancestor_span_id, hops) as (

    select
        trace_id,
        span_id,
        parent_span_id as ancestor_span_id,
        1 as hops
    from spans
    where parent_span_id is not null

    union all

    select
        ancestry.trace_id,
        ancestry.span_id,
        ancestor.parent_span_id as ancestor_span_id,
        ancestry.hops + 1 as hops
    from ancestry
    inner join spans as ancestor
        on ancestry.trace_id = ancestor.trace_id
            and ancestry.ancestor_span_id = ancestor.span_id
    where ancestor.parent_span_id is not null
        and ancestry.hops < {{ max_depth }}

),

-- Rule 2: ancestors with usage somewhere below them. `wraps_one_call`: every descendant with usage
-- reports the ancestor's own response id (an outer instrumentation's span of the same call).
ancestors_with_usage as (

    select
        ancestry.trace_id,
        ancestry.ancestor_span_id as span_id,
        count(*) as usage_descendants,
        sum(case when descendant.response_id = ancestor.response_id then 1 else 0 end) as same_response_descendants
    from ancestry
    inner join spans as descendant
        on ancestry.trace_id = descendant.trace_id
            and ancestry.span_id = descendant.span_id
    inner join spans as ancestor
        on ancestry.trace_id = ancestor.trace_id
            and ancestry.ancestor_span_id = ancestor.span_id
    where descendant.has_usage
    group by ancestry.trace_id, ancestry.ancestor_span_id

),

-- Rule 4: per span, each ownership attribute of the nearest ancestor that sets it (the number of hops, zero-padded,
-- orders the candidates; the value follows the separator).
inherited as (

    select
        ancestry.trace_id,
        ancestry.span_id,
        {%- for col in ownership_columns %}
            substring(min(
                case when ancestor.{{ col }} is not null then {{ dbt.concat([
                    "lpad(" ~ dbt.cast('ancestry.hops', api.Column.translate_type('string')) ~ ", 6, '0')",
                    "':'", 'ancestor.' ~ col
                ]) }} end
            ), 8) as inherited_{{ col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from ancestry
    inner join spans as ancestor
        on ancestry.trace_id = ancestor.trace_id
            and ancestry.ancestor_span_id = ancestor.span_id
    group by ancestry.trace_id, ancestry.span_id

),

flagged as (

    select
        spans.*,
        {%- for col in ownership_columns %}
            coalesce(spans.{{ col }}, inherited.inherited_{{ col }}) as owned_{{ col }},
        {%- endfor %}
        case
            when not spans.has_usage then 'no_usage'
            when ancestors_with_usage.span_id is not null then 'parent_usage'
        end as early_rule,
        coalesce(
            spans.response_id is not null
            and ancestors_with_usage.usage_descendants = ancestors_with_usage.same_response_descendants,
            false
        ) as wraps_one_call
    from spans
    left join ancestors_with_usage
        on spans.trace_id = ancestors_with_usage.trace_id
            and spans.span_id = ancestors_with_usage.span_id
    left join inherited
        on spans.trace_id = inherited.trace_id
            and spans.span_id = inherited.span_id

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

-- Rule 3: the spans of one call (same response id: the events' group, plus outer spans of the same
-- call set aside by rule 2), merged bucket by bucket: the greatest count reported per bucket. The
-- representative's ownership gaps are filled from the group (the kept span first, then by rank).
response_groups as (

    select
        response_id,
        count(*) as group_spans,
        max(source_input_tokens) as merged_input_tokens,
        max(cache_read_tokens) as merged_cache_read_tokens,
        max(cache_write_5m_tokens + cache_write_1h_tokens) as merged_cache_write_tokens,
        max(cache_write_1h_tokens) as merged_cache_write_1h_tokens,
        max(output_tokens) as merged_output_tokens,
        max(reasoning_tokens) as merged_reasoning_tokens,
        max(reported_cost_usd) as merged_reported_cost_usd,
        {%- for col in ownership_columns %}
            substring(min(
                case when owned_{{ col }} is not null then {{ dbt.concat([
                    "lpad(" ~ dbt.cast('case when early_rule is null then response_rank else 999999 end',
                        api.Column.translate_type('string')) ~ ", 12, '0')",
                    "':'", 'owned_' ~ col
                ]) }} end
            ), 14) as group_{{ col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from by_response
    where response_id is not null
        and has_usage
        and (early_rule is null or (early_rule = 'parent_usage' and wraps_one_call))
    group by response_id

),

merged as (

    select
        by_response.*,
        -- merge only when the merged buckets agree with each other (cache within input); else the
        -- representative keeps its own
        coalesce(
            by_response.early_rule is null
            and by_response.response_rank = 1
            and response_groups.group_spans > 1
            and response_groups.merged_cache_read_tokens + response_groups.merged_cache_write_tokens
            <= response_groups.merged_input_tokens,
            false
        ) as is_merged,
        response_groups.merged_input_tokens,
        response_groups.merged_cache_read_tokens,
        response_groups.merged_cache_write_tokens,
        response_groups.merged_cache_write_1h_tokens,
        response_groups.merged_output_tokens,
        response_groups.merged_reasoning_tokens,
        response_groups.merged_reported_cost_usd,
        {%- for col in ownership_columns %}
            case
                when by_response.early_rule is null and by_response.response_rank = 1
                    then coalesce(by_response.owned_{{ col }}, response_groups.group_{{ col }})
                else by_response.owned_{{ col }}
            end as final_{{ col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from by_response
    left join response_groups
        on by_response.response_id = response_groups.response_id

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
        scope_name,
        scope_version,
        operation_name,
        occurred_at,
        provider_hint,
        model_requested,
        response_id,
        is_failed,
        has_usage,
        final_agent as agent,
        final_tag_team as tag_team,
        final_project as project,
        final_environment as environment,
        final_customer as customer,
        input_includes_cache,
        is_merged as is_response_merged,
        case
            when is_merged then merged_input_tokens - merged_cache_read_tokens - merged_cache_write_tokens
            else uncached_input_tokens
        end as uncached_input_tokens,
        case when is_merged then merged_cache_read_tokens else cache_read_tokens end as cache_read_tokens,
        case
            when is_merged then merged_cache_write_tokens - merged_cache_write_1h_tokens
            else cache_write_5m_tokens
        end as cache_write_5m_tokens,
        case when is_merged then merged_cache_write_1h_tokens else cache_write_1h_tokens end as cache_write_1h_tokens,
        case when is_merged then merged_output_tokens else output_tokens end as output_tokens,
        case when is_merged then merged_reasoning_tokens else reasoning_tokens end as reasoning_tokens,
        case when is_merged then merged_input_tokens else source_input_tokens end as source_input_tokens,
        case when is_merged then merged_reported_cost_usd else reported_cost_usd end as reported_cost_usd,
        load_id,
        file_path,
        document_number,
        record_hash
    from merged

)

select * from final
