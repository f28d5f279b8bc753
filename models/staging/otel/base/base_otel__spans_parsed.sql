{#-
  Every span of every landed OTLP/JSON trace export (formats otlp_json and otlp_jsonl), parsed and
  validated: one row per span, plus one row per export document that could not be read (its
  reject_reason says why), so nothing landed disappears. A span carries usage when it reports input
  or output tokens; only those become usage events (stg_otel__spans). `reject_reason` is NULL for a
  valid span, else the first failed check.
  Attributes: the span's own, else its resource's (ownership may sit on either). The instrumentation
  scope (scopeSpans[].scope name and version) is kept: it names the library that wrote the span.
  Token buckets, each from the first attribute present (docs/sources.md has the table per producer):
  - input: gen_ai.usage.input_tokens, else the deprecated gen_ai.usage.prompt_tokens; output:
    gen_ai.usage.output_tokens, else gen_ai.usage.completion_tokens;
  - cache read: gen_ai.usage.cache_read.input_tokens (the conventions, the Anthropic SDK, OpenLIT), else
    gen_ai.usage.cache_read_input_tokens (OpenLLMetry);
  - cache write: gen_ai.usage.cache_write.input_tokens (the Anthropic SDK), else
    gen_ai.usage.cache_creation.input_tokens (the conventions, OpenLIT), else
    gen_ai.usage.cache_creation_input_tokens (OpenLLMetry); with none of them, the sum of the split below;
  - 5m/1h split: anthropic.usage.cache_creation.ephemeral_1h_input_tokens is the 1-hour write, the rest
    of the write is 5-minute (no split: all 5-minute, as the gateway prices it). A reported 5-minute part
    that is not the write less the 1-hour part is inconsistent_tokens;
  - reasoning (part of output): gen_ai.usage.reasoning.output_tokens, else gen_ai.usage.reasoning_tokens
    (OpenLLMetry, OpenLIT).
  Input semantics, decided by the producer, never by the numbers: (1) the conventions, and every producer
  by default (openai-v2, the Anthropic SDK, OpenLLMetry, which adds the cache to the API's input_tokens):
  input_tokens INCLUDES cache reads and writes, uncached = input - read - write; (2) OpenLIT on Anthropic
  (scope name starting with openlit, or resource telemetry.sdk.name = openlit; and provider anthropic)
  writes the API's input_tokens, which EXCLUDES the cache: uncached = input, total = input + read + write.
  OpenLIT's gen_ai.usage.cost is kept as reported_cost_usd (comparison only, never priced from).
-#}
{{ tl_base_parser_config() }}
{%- set token_columns = [
    'tok_input', 'tok_output', 'tok_cache_read', 'tok_cache_write', 'tok_cache_write_5m', 'tok_cache_write_1h',
    'tok_reasoning',
] -%}
{%- set span_paths = {
    'trace_id_text': '$.traceId',
    'span_id_text': '$.spanId',
    'parent_span_id_text': '$.parentSpanId',
    'span_name': '$.name',
    'start_nanos_text': '$.startTimeUnixNano',
    'status_code_text': '$.status.code',
} -%}
{%- set attribute_names = {
    'attr_provider': 'gen_ai.provider.name',
    'attr_system': 'gen_ai.system',
    'attr_operation': 'gen_ai.operation.name',
    'attr_request_model': 'gen_ai.request.model',
    'attr_response_model': 'gen_ai.response.model',
    'attr_response_id': 'gen_ai.response.id',
    'attr_agent': 'gen_ai.agent.name',
    'attr_input_tokens': 'gen_ai.usage.input_tokens',
    'attr_output_tokens': 'gen_ai.usage.output_tokens',
    'attr_prompt_tokens': 'gen_ai.usage.prompt_tokens',
    'attr_completion_tokens': 'gen_ai.usage.completion_tokens',
    'attr_cache_read_tokens': 'gen_ai.usage.cache_read.input_tokens',
    'attr_cache_read_input_tokens': 'gen_ai.usage.cache_read_input_tokens',
    'attr_cache_write_tokens': 'gen_ai.usage.cache_write.input_tokens',
    'attr_cache_creation_tokens': 'gen_ai.usage.cache_creation.input_tokens',
    'attr_cache_creation_input_tokens': 'gen_ai.usage.cache_creation_input_tokens',
    'attr_cache_write_5m_tokens': 'anthropic.usage.cache_creation.ephemeral_5m_input_tokens',
    'attr_cache_write_1h_tokens': 'anthropic.usage.cache_creation.ephemeral_1h_input_tokens',
    'attr_reasoning_tokens': 'gen_ai.usage.reasoning.output_tokens',
    'attr_reasoning_tokens_flat': 'gen_ai.usage.reasoning_tokens',
    'attr_cost': 'gen_ai.usage.cost',
    'attr_sdk_name': 'telemetry.sdk.name',
    'attr_team': 'team.name',
    'attr_project': 'project.name',
    'attr_client': 'client.name',
    'attr_environment_name': 'deployment.environment.name',
    'attr_environment': 'deployment.environment',
    'attr_assoc_team': 'traceloop.association.properties.team',
    'attr_assoc_project': 'traceloop.association.properties.project',
    'attr_assoc_customer': 'traceloop.association.properties.customer',
    'attr_assoc_environment': 'traceloop.association.properties.environment',
} -%}
with

{{ tl_source_documents(['otlp_json', 'otlp_jsonl']) }},

-- A document is one export object or a JSON array of them.
exports as (

    {{ tl_json_elements(
        'documents', 'doc', 'doc_type',
        ['load_id', 'file_path', 'file_sha256', 'document_number', 'line_number', 'loaded_at', 'raw_document', 'doc_type'],
        'export_doc'
    ) }}

),

judged_exports as (

    select
        *,
        case
            when doc_type is null then 'invalid_json'
            when {{ tl_json_type('export_doc') }} <> 'OBJECT' then 'json_not_object'
            when coalesce({{ tl_json_type('export_doc', '$.resourceSpans') }}, 'NULL') <> 'ARRAY' then 'missing_resource_spans'
        end as export_reject_reason
    from exports

),

resource_spans as (

    select
        {{ tl_document_lineage() }},
        {{ tl_json_array_rows('export_doc', '$.resourceSpans') }} as resource_span
    from judged_exports
    where export_reject_reason is null

),

scope_spans as (

    select
        {{ tl_document_lineage() }},
        {{ tl_json_get('resource_span', '$.resource.attributes') }} as resource_attributes,
        {{ tl_json_array_rows('resource_span', '$.scopeSpans') }} as scope_span
    from resource_spans

),

scopes as (

    select
        *,
        {{ tl_json_text('scope_span', '$.scope.name') }} as scope_name,
        {{ tl_json_text('scope_span', '$.scope.version') }} as scope_version
    from scope_spans

),

spans as (

    select
        {{ tl_document_lineage() }},
        resource_attributes,
        scope_name,
        scope_version,
        {{ tl_json_array_rows('scope_span', '$.spans') }} as span
    from scopes

),

span_fields as {{ tl_materialized() }} (

    select
        spans.load_id,
        spans.file_path,
        spans.file_sha256,
        spans.document_number,
        spans.line_number,
        spans.loaded_at,
        spans.scope_name,
        spans.scope_version,
        spans.span,
        {{ tl_json_texts('span', span_paths.values() | list) }} as texts,
        {{ tl_otel_attributes(tl_json_get('span', '$.attributes')) }} as span_attributes,
        {{ tl_otel_attributes('resource_attributes') }} as resource_attribute_entries
    from spans

),

attributes as {{ tl_materialized() }} (

    select
        span_fields.load_id,
        span_fields.file_path,
        span_fields.file_sha256,
        span_fields.document_number,
        span_fields.line_number,
        span_fields.loaded_at,
        span_fields.scope_name,
        span_fields.scope_version,
        span_fields.span,
        {%- for name in span_paths %}
            {{ tl_list_element('texts', loop.index) }} as {{ name }},
        {%- endfor %}
        {%- for name, key in attribute_names.items() %}
            coalesce(
                {{ tl_entry_value('span_attributes', key) }},
                {{ tl_entry_value('resource_attribute_entries', key) }}
            ) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from span_fields

),

mapped as (

    select
        *,
        {{ tl_timestamp_from_unix_nanos('start_nanos_text') }} as occurred_at,
        lower(coalesce({{ tl_nullif_blank('attr_provider') }}, {{ tl_nullif_blank('attr_system') }})) as provider_hint,
        coalesce(attr_input_tokens, attr_prompt_tokens) as tok_input,
        coalesce(attr_output_tokens, attr_completion_tokens) as tok_output,
        coalesce(attr_cache_read_tokens, attr_cache_read_input_tokens) as tok_cache_read,
        coalesce(attr_cache_write_tokens, attr_cache_creation_tokens, attr_cache_creation_input_tokens) as tok_cache_write,
        attr_cache_write_5m_tokens as tok_cache_write_5m,
        attr_cache_write_1h_tokens as tok_cache_write_1h,
        coalesce(attr_reasoning_tokens, attr_reasoning_tokens_flat) as tok_reasoning,
        -- the producer (instrumentation scope, else the resource's SDK name) decides the input semantics (header)
        coalesce(
            lower(trim(scope_name)) like 'openlit%' or lower(trim(attr_sdk_name)) = 'openlit', false
        ) as is_openlit,
        coalesce(
            {{ tl_try_cast('trim(attr_cost)', 'decimal(38, 12)') }},
            cast({{ tl_try_cast('trim(attr_cost)', 'double') }} as decimal(38, 12))
        ) as reported_cost_usd
    from attributes

),

checked as (

    select
        *,
        tok_input is not null or tok_output is not null as has_usage,
        {{ tl_any_non_integer(token_columns) }} as has_non_integer_tokens,
        {{ tl_any_negative(token_columns) }} as has_negative_tokens,
        {{ tl_any_over_max(token_columns) }} as has_tokens_over_max
    from mapped

),

counted as (

    select
        *,
        {%- for col in token_columns %}
            case when has_usage then {{ tl_token_count(col) }} else 0 end as n_{{ col[4:] }},
        {%- endfor %}
        -- OpenLIT's Anthropic spans report input without the cache (the API's own field); everyone else
        -- follows the convention (input includes cache reads and writes)
        (not is_openlit or coalesce(provider_hint, '') <> 'anthropic') as input_includes_cache
    from checked

),

writes as (

    select
        *,
        -- cache writes: the total, else the sum of the TTL split; the 1-hour part only where it is reported
        case
            when tok_cache_write is not null then n_cache_write
            else n_cache_write_5m + n_cache_write_1h
        end as n_write_total
    from counted

),

buckets as (

    select
        *,
        case
            when input_includes_cache then n_input
            else n_input + n_cache_read + n_write_total
        end as n_input_total
    from writes

),

judged as (

    select
        *,
        case
            -- malformed OTLP (every span has both ids)
            when {{ tl_nullif_blank('span_id_text') }} is null or {{ tl_nullif_blank('trace_id_text') }} is null
                then 'missing_id'
            -- a span without usage (a tool call, an agent step) is not a usage record: nothing more to check
            when not has_usage then null
            when occurred_at is null then 'invalid_timestamp'
            when {{ tl_implausible_timestamp('occurred_at') }} then 'implausible_timestamp'
            when has_usage and has_non_integer_tokens then 'non_numeric_tokens'
            when has_usage and has_negative_tokens then 'negative_tokens'
            when has_usage and has_tokens_over_max then 'tokens_over_max'
            when has_usage and (
                    n_input_total < n_cache_read + n_write_total
                    or n_output < n_reasoning
                    or n_cache_write_1h > n_write_total
                    or (tok_cache_write_5m is not null and n_cache_write_5m <> n_write_total - n_cache_write_1h)
                )
                then 'inconsistent_tokens'
            when has_usage and coalesce({{ tl_nullif_blank('attr_response_model') }}, {{ tl_nullif_blank('attr_request_model') }}) is null
                then 'missing_model'
        end as reject_reason
    from buckets

),

valid_shape as (

    select
        {{ tl_document_lineage() }},
        lower({{ tl_nullif_blank('trace_id_text') }}) as trace_id,
        lower({{ tl_nullif_blank('span_id_text') }}) as span_id,
        lower({{ tl_nullif_blank('parent_span_id_text') }}) as parent_span_id,
        span_name,
        scope_name,
        scope_version,
        occurred_at,
        provider_hint,
        {{ tl_nullif_blank('attr_operation') }} as operation_name,
        coalesce({{ tl_nullif_blank('attr_response_model') }}, {{ tl_nullif_blank('attr_request_model') }}) as model_requested,
        {{ tl_nullif_blank('attr_response_id') }} as response_id,
        -- OTLP status code 2 (STATUS_CODE_ERROR) marks a failed span; a failed span that reports usage is billed
        coalesce(trim(status_code_text) in ('2', 'STATUS_CODE_ERROR'), false) as is_failed,
        has_usage,
        {{ tl_nullif_blank('attr_agent') }} as agent,
        coalesce({{ tl_nullif_blank('attr_team') }}, {{ tl_nullif_blank('attr_assoc_team') }}) as tag_team,
        coalesce({{ tl_nullif_blank('attr_project') }}, {{ tl_nullif_blank('attr_assoc_project') }}) as project,
        coalesce(
            {{ tl_nullif_blank('attr_environment_name') }},
            {{ tl_nullif_blank('attr_environment') }},
            {{ tl_nullif_blank('attr_assoc_environment') }}
        ) as environment,
        coalesce({{ tl_nullif_blank('attr_client') }}, {{ tl_nullif_blank('attr_assoc_customer') }}) as customer,
        input_includes_cache,
        n_input_total - n_cache_read - n_write_total as uncached_input_tokens,
        n_cache_read as cache_read_tokens,
        n_write_total - n_cache_write_1h as cache_write_5m_tokens,
        n_cache_write_1h as cache_write_1h_tokens,
        n_output as output_tokens,
        n_reasoning as reasoning_tokens,
        n_input_total as source_input_tokens,
        reported_cost_usd,
        {{ dbt.hash(dbt.cast('span', api.Column.translate_type('string'))) }} as record_hash,
        reject_reason,
        case when reject_reason is not null then {{ dbt.cast('span', api.Column.translate_type('string')) }} end as raw_record
    from judged

),

rejected_exports as (

    select
        {{ tl_document_lineage() }},
        cast(null as {{ dbt.type_string() }}) as trace_id,
        cast(null as {{ dbt.type_string() }}) as span_id,
        cast(null as {{ dbt.type_string() }}) as parent_span_id,
        cast(null as {{ dbt.type_string() }}) as span_name,
        cast(null as {{ dbt.type_string() }}) as scope_name,
        cast(null as {{ dbt.type_string() }}) as scope_version,
        cast(null as timestamp) as occurred_at,
        cast(null as {{ dbt.type_string() }}) as provider_hint,
        cast(null as {{ dbt.type_string() }}) as operation_name,
        cast(null as {{ dbt.type_string() }}) as model_requested,
        cast(null as {{ dbt.type_string() }}) as response_id,
        false as is_failed,
        false as has_usage,
        cast(null as {{ dbt.type_string() }}) as agent,
        cast(null as {{ dbt.type_string() }}) as tag_team,
        cast(null as {{ dbt.type_string() }}) as project,
        cast(null as {{ dbt.type_string() }}) as environment,
        cast(null as {{ dbt.type_string() }}) as customer,
        true as input_includes_cache,
        cast(0 as bigint) as uncached_input_tokens,
        cast(0 as bigint) as cache_read_tokens,
        cast(0 as bigint) as cache_write_5m_tokens,
        cast(0 as bigint) as cache_write_1h_tokens,
        cast(0 as bigint) as output_tokens,
        cast(0 as bigint) as reasoning_tokens,
        cast(0 as bigint) as source_input_tokens,
        cast(null as decimal(38, 12)) as reported_cost_usd,
        {{ dbt.hash('raw_document') }} as record_hash,
        export_reject_reason as reject_reason,
        case
            when doc_type = 'ARRAY' then {{ dbt.cast('export_doc', api.Column.translate_type('string')) }}
            else raw_document
        end as raw_record
    from judged_exports
    where export_reject_reason is not null

),

unioned as (

    select * from valid_shape
    union all
    select * from rejected_exports

),

final as (

    select
        {{ tl_document_row_key('trace_id, span_id, record_hash') }} as span_row_key,
        *
    from unioned

)

select * from final
