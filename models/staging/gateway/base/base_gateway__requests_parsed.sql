{#-
  Every landed gateway line, parsed and validated: one row per raw line (nothing dropped).
  `reject_reason` is NULL for a valid attempt; otherwise the first failed check, in this order.
-#}
{%- set token_columns = [
    'tok_input', 'tok_cache_read', 'tok_cache_write', 'tok_cache_write_1h', 'tok_output',
    'tok_reasoning', 'tok_input_audio', 'tok_output_audio', 'tok_web_searches'
] -%}

with

source as (

    select * from {{ source('gateway', 'gateway_requests') }}
    {%- if is_incremental() %}
        -- Raw rows are append-only, one load per file with increasing load_id: parse only new loads.
        where load_id > (select coalesce(max(load_id), 0) from {{ this }})
    {%- endif %}

),

parsed as (

    select
        *,
        {{ tl_json_parse('raw_line') }} as record
    from source

),

objects as (

    select
        *,
        {{ tl_json_type('record') }} as record_type,
        case when {{ tl_json_type('record') }} = 'OBJECT' then record end as obj
    from parsed

),

fields as (

    select
        load_id,
        file_path,
        file_sha256,
        line_number,
        raw_line,
        loaded_at,
        record,
        record_type,
        {{ tl_json_text('obj', '$.request_id') }} as request_id_text,
        {{ tl_json_text('obj', '$.timestamp') }} as timestamp_text,
        {{ tl_json_text('obj', '$.provider') }} as provider_text,
        {{ tl_json_text('obj', '$.endpoint') }} as endpoint,
        {{ tl_json_text('obj', '$.status_code') }} as status_code_text,
        {{ tl_json_text('obj', '$.api_key_id') }} as api_key_id_text,
        {{ tl_json_text('obj', '$.user') }} as user_text,
        {{ tl_json_text('obj', '$.agent') }} as agent_text,
        {{ tl_json_text('obj', '$.attempt') }} as attempt_text,
        {{ tl_json_text('obj', '$.retry_of') }} as retry_of_text,
        {{ tl_json_text('obj', '$.batch') }} as batch_text,
        {{ tl_json_text('obj', '$.response.id') }} as response_id,
        {{ tl_json_text('obj', '$.response.model') }} as response_model_text,
        {{ tl_json_text('obj', '$.response.service_tier') }} as response_service_tier,
        coalesce({{ tl_json_type('obj', '$.error') }}, 'NULL') <> 'NULL' as has_error_object,
        case
            when {{ tl_json_type('obj', '$.headers') }} = 'OBJECT' then {{ tl_json_get('obj', '$.headers') }}
        end as headers,
        case
            when {{ tl_json_type('obj', '$.response.usage') }} = 'OBJECT' then {{ tl_json_get('obj', '$.response.usage') }}
        end as usage_obj
    from objects

),

usage_fields as (

    select
        *,
        {{ tl_json_text('usage_obj', '$.prompt_tokens') }} as u_prompt_tokens,
        {{ tl_json_text('usage_obj', '$.completion_tokens') }} as u_completion_tokens,
        {{ tl_json_text('usage_obj', '$.prompt_tokens_details.cached_tokens') }} as u_prompt_cached_tokens,
        {{ tl_json_text('usage_obj', '$.prompt_tokens_details.cache_write_tokens') }} as u_prompt_cache_write_tokens,
        {{ tl_json_text('usage_obj', '$.prompt_tokens_details.audio_tokens') }} as u_prompt_audio_tokens,
        {{ tl_json_text('usage_obj', '$.completion_tokens_details.reasoning_tokens') }} as u_completion_reasoning_tokens,
        {{ tl_json_text('usage_obj', '$.completion_tokens_details.audio_tokens') }} as u_completion_audio_tokens,
        {{ tl_json_text('usage_obj', '$.input_tokens') }} as u_input_tokens,
        {{ tl_json_text('usage_obj', '$.output_tokens') }} as u_output_tokens,
        {{ tl_json_text('usage_obj', '$.input_tokens_details.cached_tokens') }} as u_input_cached_tokens,
        {{ tl_json_text('usage_obj', '$.input_tokens_details.cache_write_tokens') }} as u_input_cache_write_tokens,
        {{ tl_json_text('usage_obj', '$.output_tokens_details.reasoning_tokens') }} as u_output_reasoning_tokens,
        {{ tl_json_text('usage_obj', '$.output_tokens_details.thinking_tokens') }} as u_output_thinking_tokens,
        {{ tl_json_text('usage_obj', '$.cache_read_input_tokens') }} as u_cache_read_input_tokens,
        {{ tl_json_text('usage_obj', '$.cache_creation_input_tokens') }} as u_cache_creation_input_tokens,
        {{ tl_json_text('usage_obj', '$.cache_creation.ephemeral_5m_input_tokens') }} as u_ephemeral_5m_tokens,
        {{ tl_json_text('usage_obj', '$.cache_creation.ephemeral_1h_input_tokens') }} as u_ephemeral_1h_tokens,
        {{ tl_json_text('usage_obj', '$.server_tool_use.web_search_requests') }} as u_web_search_requests,
        {{ tl_json_text('usage_obj', '$.service_tier') }} as u_service_tier,
        case when headers is not null then {{ tl_json_text_ci('headers', 'x-team') }} end as header_team,  -- noqa: RF03
        case when headers is not null then {{ tl_json_text_ci('headers', 'x-project') }} end as header_project,  -- noqa: RF03
        case when headers is not null then {{ tl_json_text_ci('headers', 'x-environment') }} end as header_environment,  -- noqa: RF03
        case when headers is not null then {{ tl_json_text_ci('headers', 'x-customer') }} end as header_customer  -- noqa: RF03
    from fields

),

shaped as (

    select
        *,
        lower({{ tl_nullif_blank('provider_text') }}) as provider_hint,
        {{ tl_try_cast('status_code_text', 'integer') }} as status_code,
        case
            when usage_obj is null then null
            when u_prompt_tokens is not null or u_completion_tokens is not null then 'openai_chat'
            when lower(trim(provider_text)) = 'anthropic'
                or u_cache_creation_input_tokens is not null
                or u_cache_read_input_tokens is not null
                or endpoint like '%/messages' then 'anthropic_messages'
            when u_input_tokens is not null or u_output_tokens is not null then 'openai_responses'
        end as usage_shape
    from usage_fields

),

mapped as (

    -- The provider's native usage mapped to one set of counts (text, NULL = not reported).
    -- tok_input is the total input for OpenAI shapes and the uncached input for Anthropic.
    select
        *,
        coalesce({{ tl_try_cast('status_code_text', 'integer') }} >= 400, false) or has_error_object as is_failed,
        case usage_shape
            when 'openai_chat' then u_prompt_tokens
            else u_input_tokens
        end as tok_input,
        case usage_shape
            when 'openai_chat' then u_completion_tokens
            else u_output_tokens
        end as tok_output,
        case usage_shape
            when 'openai_chat' then u_prompt_cached_tokens
            when 'openai_responses' then u_input_cached_tokens
            else u_cache_read_input_tokens
        end as tok_cache_read,
        case usage_shape
            when 'openai_chat' then u_prompt_cache_write_tokens
            when 'openai_responses' then u_input_cache_write_tokens
            else u_cache_creation_input_tokens
        end as tok_cache_write,
        case when usage_shape = 'anthropic_messages' then u_ephemeral_5m_tokens end as tok_cache_write_5m,
        case when usage_shape = 'anthropic_messages' then u_ephemeral_1h_tokens end as tok_cache_write_1h,
        case usage_shape
            when 'openai_chat' then u_completion_reasoning_tokens
            when 'openai_responses' then u_output_reasoning_tokens
            else u_output_thinking_tokens
        end as tok_reasoning,
        case when usage_shape = 'openai_chat' then u_prompt_audio_tokens end as tok_input_audio,
        case when usage_shape = 'openai_chat' then u_completion_audio_tokens end as tok_output_audio,
        case when usage_shape = 'anthropic_messages' then u_web_search_requests end as tok_web_searches
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

final as (

    select
        load_id,
        file_path,
        file_sha256,
        line_number,
        loaded_at,
        raw_line,
        {{ dbt.hash('trim(raw_line)') }} as record_hash,
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
        case
            when record is null then 'invalid_json'
            when record_type <> 'OBJECT' then 'json_not_object'
            when request_id_text is null or trim(request_id_text) = '' then 'missing_id'
            when occurred_at is null then 'invalid_timestamp'
            when not has_usage and not is_failed then 'missing_usage'
            when has_usage and has_non_integer_tokens then 'non_numeric_tokens'
            when has_usage and has_negative_tokens then 'negative_tokens'
            when has_usage and has_tokens_over_max then 'tokens_over_max'
            when has_usage and (
                    (usage_shape <> 'anthropic_messages' and n_input < n_cache_read + n_cache_write_total)
                    or n_cache_write_total < n_cache_write_1h
                    or n_output < n_reasoning
                    or n_output < n_output_audio
                ) then 'inconsistent_tokens'
            when has_usage and (response_model_text is null or trim(response_model_text) = '') then 'missing_model'
        end as reject_reason
    from counted

)

select * from final
