{#-
  Every landed gateway line, parsed and validated: one row per raw line (nothing dropped).
  `reject_reason` is NULL for a valid attempt; otherwise the first failed check, in this order.
-#}
{{ tl_base_parser_config() }}
{%- set token_columns = [
    'tok_input', 'tok_cache_read', 'tok_cache_write', 'tok_cache_write_1h', 'tok_output',
    'tok_reasoning', 'tok_input_audio', 'tok_output_audio', 'tok_web_searches'
] -%}

{#- The line's own columns, carried through the parsing CTEs. -#}
{%- set line_columns = ['load_id', 'file_path', 'file_sha256', 'line_number', 'raw_line', 'loaded_at', 'record', 'record_type'] -%}

{#- The native usage fields of each usage shape behind one set of counts (text; else = any other shape). -#}
{%- set usage_by_shape = {
    'tok_input': {'openai_chat': 'u_prompt_tokens', 'else': 'u_input_tokens'},
    'tok_output': {'openai_chat': 'u_completion_tokens', 'else': 'u_output_tokens'},
    'tok_cache_read': {
        'openai_chat': 'u_prompt_cached_tokens', 'openai_responses': 'u_input_cached_tokens', 'else': 'u_cache_read_input_tokens',
    },
    'tok_cache_write': {
        'openai_chat': 'u_prompt_cache_write_tokens', 'openai_responses': 'u_input_cache_write_tokens',
        'else': 'u_cache_creation_input_tokens',
    },
    'tok_cache_write_5m': {'anthropic_messages': 'u_ephemeral_5m_tokens'},
    'tok_cache_write_1h': {'anthropic_messages': 'u_ephemeral_1h_tokens'},
    'tok_reasoning': {
        'openai_chat': 'u_completion_reasoning_tokens', 'openai_responses': 'u_output_reasoning_tokens',
        'else': 'u_output_thinking_tokens',
    },
    'tok_input_audio': {'openai_chat': 'u_prompt_audio_tokens'},
    'tok_output_audio': {'openai_chat': 'u_completion_audio_tokens'},
    'tok_web_searches': {'anthropic_messages': 'u_web_search_requests'},
} -%}

{%- set text_paths = {
    'request_id_text': '$.request_id',
    'timestamp_text': '$.timestamp',
    'provider_text': '$.provider',
    'endpoint': '$.endpoint',
    'status_code_text': '$.status_code',
    'api_key_id_text': '$.api_key_id',
    'user_text': '$.user',
    'agent_text': '$.agent',
    'attempt_text': '$.attempt',
    'retry_of_text': '$.retry_of',
    'batch_text': '$.batch',
    'response_id': '$.response.id',
    'response_model_text': '$.response.model',
    'response_service_tier': '$.response.service_tier',
    'u_prompt_tokens': '$.response.usage.prompt_tokens',
    'u_completion_tokens': '$.response.usage.completion_tokens',
    'u_prompt_cached_tokens': '$.response.usage.prompt_tokens_details.cached_tokens',
    'u_prompt_cache_write_tokens': '$.response.usage.prompt_tokens_details.cache_write_tokens',
    'u_prompt_audio_tokens': '$.response.usage.prompt_tokens_details.audio_tokens',
    'u_completion_reasoning_tokens': '$.response.usage.completion_tokens_details.reasoning_tokens',
    'u_completion_audio_tokens': '$.response.usage.completion_tokens_details.audio_tokens',
    'u_input_tokens': '$.response.usage.input_tokens',
    'u_output_tokens': '$.response.usage.output_tokens',
    'u_input_cached_tokens': '$.response.usage.input_tokens_details.cached_tokens',
    'u_input_cache_write_tokens': '$.response.usage.input_tokens_details.cache_write_tokens',
    'u_output_reasoning_tokens': '$.response.usage.output_tokens_details.reasoning_tokens',
    'u_output_thinking_tokens': '$.response.usage.output_tokens_details.thinking_tokens',
    'u_cache_read_input_tokens': '$.response.usage.cache_read_input_tokens',
    'u_cache_creation_input_tokens': '$.response.usage.cache_creation_input_tokens',
    'u_ephemeral_5m_tokens': '$.response.usage.cache_creation.ephemeral_5m_input_tokens',
    'u_ephemeral_1h_tokens': '$.response.usage.cache_creation.ephemeral_1h_input_tokens',
    'u_web_search_requests': '$.response.usage.server_tool_use.web_search_requests',
    'u_service_tier': '$.response.usage.service_tier',
} -%}

with

source as (

    select * from {{ source('gateway', 'gateway_requests') }}
    where {{ tl_unseen_loads() }}

),

parsed as (

    select
        *,
        {{ tl_json_parse('raw_line') }} as record
    from source

),

objects as {{ tl_materialized() }} (

    select
        *,
        {{ tl_json_type('record') }} as record_type,
        case when {{ tl_json_type('record') }} = 'OBJECT' then record end as obj
    from parsed

),

fields as (

    -- One parse per line: every scalar is read by a single multi-path extraction (a call per path
    -- would re-parse the document each time; this CTE was most of the model's time at 1M rows).
    select
        {{ line_columns | join(',\n        ') }},
        {{ tl_json_texts('obj', text_paths.values() | list) }} as texts,
        {{ tl_json_gets('obj', ['$.error', '$.headers', '$.response.usage']) }} as subdocs
    from objects

),

usage_fields as {{ tl_materialized() }} (

    select
        {{ line_columns | join(',\n        ') }},
        {{- tl_named_elements('texts', text_paths) }},
        coalesce({{ tl_json_type(tl_list_element('subdocs', 1)) }}, 'NULL') <> 'NULL' as has_error_object,
        case
            when {{ tl_json_type(tl_list_element('subdocs', 2)) }} = 'OBJECT' then {{ tl_list_element('subdocs', 2) }}
        end as headers,
        -- usage counts are read from the whole record above; they only count when usage is an object
        {{ tl_json_type(tl_list_element('subdocs', 3)) }} = 'OBJECT' as has_usage_object
    from fields

),

header_fields as (

    select
        *,
        {{ tl_json_text_ci('header_entries', 'x-team') }} as header_team,
        {{ tl_json_text_ci('header_entries', 'x-project') }} as header_project,
        {{ tl_json_text_ci('header_entries', 'x-environment') }} as header_environment,
        {{ tl_json_text_ci('header_entries', 'x-customer') }} as header_customer
    from (
        -- the headers object read once into (key, value) entries, then looked up per header
        select
            *,
            case when headers is not null then {{ tl_json_entries('headers') }} end as header_entries
        from usage_fields
    ) as with_entries

),

shaped as (

    select
        *,
        lower({{ tl_nullif_blank('provider_text') }}) as provider_hint,
        {{ tl_try_cast('status_code_text', 'integer') }} as status_code,
        case
            when not coalesce(has_usage_object, false) then null
            when u_prompt_tokens is not null or u_completion_tokens is not null then 'openai_chat'
            when lower(trim(provider_text)) = 'anthropic'
                or u_cache_creation_input_tokens is not null
                or u_cache_read_input_tokens is not null
                or endpoint like '%/messages' then 'anthropic_messages'
            when u_input_tokens is not null or u_output_tokens is not null then 'openai_responses'
        end as usage_shape
    from header_fields

),

mapped as (

    -- The provider's native usage mapped to one set of counts (text, NULL = not reported).
    -- tok_input is the total input for OpenAI shapes and the uncached input for Anthropic.
    select
        *,
        coalesce({{ tl_try_cast('status_code_text', 'integer') }} >= 400, false) or has_error_object as is_failed,
        {%- for name, by_shape in usage_by_shape.items() %}
            {{ tl_case_map('usage_shape', by_shape) }} as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from shaped

),

checked as (

    select
        *,
        {{ tl_parse_utc_timestamp('timestamp_text') }} as occurred_at,
        -- A provider bills what it reports: a failed request with a partial usage object is billed
        -- (a missing count is 0); a successful one must report input and output (else missing_usage).
        usage_shape is not null and case
            when is_failed then tok_input is not null or tok_output is not null
            else tok_input is not null and tok_output is not null
        end as has_usage,
        {{ tl_any_non_integer(token_columns + ['tok_cache_write_5m']) }} as has_non_integer_tokens,
        {{ tl_any_negative(token_columns + ['tok_cache_write_5m']) }} as has_negative_tokens,
        {{ tl_any_over_max(token_columns + ['tok_cache_write_5m']) }} as has_tokens_over_max
    from mapped

),

counted as (

    select
        *,
        {%- for col in token_columns %}
            case when has_usage then {{ tl_token_count(col) }} else 0 end as n_{{ col[4:] }},
        {%- endfor %}
        case
            when has_usage and tok_cache_write is null and (tok_cache_write_5m is not null or tok_cache_write_1h is not null)
                then {{ tl_token_count('tok_cache_write_5m') }} + {{ tl_token_count('tok_cache_write_1h') }}
            when has_usage then {{ tl_token_count('tok_cache_write') }}
            else 0
        end as n_cache_write_total
    from checked

),

judged as (

    select
        *,
        case
            when record is null then 'invalid_json'
            when record_type <> 'OBJECT' then 'json_not_object'
            when request_id_text is null or trim(request_id_text) = '' then 'missing_id'
            when {{ tl_has_nul('request_id_text') }} then 'invalid_id'
            {{ tl_timestamp_rejects() }}
            when not has_usage and not is_failed then 'missing_usage'
            {{ tl_token_rejects() }}
            when has_usage and (
                    (usage_shape <> 'anthropic_messages' and n_input < n_cache_read + n_cache_write_total)
                    or n_cache_write_total < n_cache_write_1h
                    or n_output < n_reasoning
                    or n_output < n_output_audio
                ) then 'inconsistent_tokens'
            when has_usage and (response_model_text is null or trim(response_model_text) = '') then 'missing_model'
        end as reject_reason
    from counted

),

final as (

    select
        load_id,
        file_path,
        file_sha256,
        line_number,
        loaded_at,
        -- trim only when needed: trimming every ~700-byte line cost more than the hash itself
        {{ dbt.hash("case when raw_line like ' %' or raw_line like '% ' then trim(raw_line) else raw_line end") }} as record_hash,
        {{ tl_nullif_blank('request_id_text') }} as request_id,
        {{ tl_nullif_blank('retry_of_text') }} as retry_of,
        {{ tl_try_cast('attempt_text', 'integer') }} as attempt_number,
        occurred_at,
        provider_hint,
        endpoint,
        status_code,
        is_failed,
        has_usage,
        usage_shape,
        {{ tl_nullif_blank('response_model_text') }} as model_requested,
        response_id,
        coalesce(lower(batch_text) in ('true', '1'), false) as is_batch,
        coalesce({{ tl_nullif_blank('response_service_tier') }}, {{ tl_nullif_blank('u_service_tier') }}) as service_tier,
        {{ tl_nullif_blank('agent_text') }} as agent,
        {{ tl_nullif_blank('api_key_id_text') }} as api_key_id,
        {{ tl_nullif_blank('user_text') }} as user_email,
        {{ tl_nullif_blank('header_team') }} as tag_team,
        {{ tl_nullif_blank('header_project') }} as project,
        {{ tl_nullif_blank('header_environment') }} as environment,
        {{ tl_nullif_blank('header_customer') }} as customer,
        -- Canonical buckets. OpenAI input includes cache; Anthropic input excludes it.
        case
            when usage_shape = 'anthropic_messages' then n_input
            else n_input - n_cache_read - n_cache_write_total
        end as uncached_input_tokens,
        n_cache_read as cache_read_tokens,
        n_cache_write_total - n_cache_write_1h as cache_write_5m_tokens,
        n_cache_write_1h as cache_write_1h_tokens,
        n_output as output_tokens,
        n_reasoning as reasoning_tokens,
        n_input_audio as input_audio_tokens,
        n_output_audio as output_audio_tokens,
        n_web_searches as web_search_requests,
        -- The source's own total input, for the bucket invariant.
        case
            when usage_shape = 'anthropic_messages' then n_input + n_cache_read + n_cache_write_total
            else n_input
        end as source_input_tokens,
        reject_reason,
        -- The line itself is kept for rejected rows only (audit.rejected_rows shows it); a valid row's
        -- line stays in raw.gateway_requests, so copying it here would only double the warehouse.
        case when reject_reason is not null then raw_line end as raw_line
    from judged

)

select * from final
