{#-
  Every landed Jobs-export row, typed and validated: one row per raw row (nothing dropped).
  `reject_reason` is NULL for a valid attempt; otherwise the first failed check, in this order.
  Jobs follow the OpenAI convention: input_tokens includes cached_input_tokens.
-#}
{{ tl_base_parser_config() }}
{%- set token_columns = ['input_tokens', 'cached_input_tokens', 'output_tokens'] -%}
{%- set failed_statuses = "('failed', 'failure', 'error', 'errored', 'cancelled', 'canceled', 'timeout', 'timed_out', 'rejected')" -%}

with

source as (

    select * from {{ source('jobs', 'jobs_export') }}
    where {{ tl_unseen_loads() }}

),

cleaned as (

    select
        load_id,
        file_path,
        file_sha256,
        row_number as source_row_number,
        line_number,
        loaded_at,
        raw_record,
        parse_error,
        {{ tl_nullif_blank('job_id') }} as job_id,
        created_at,
        {{ tl_nullif_blank('agent') }} as agent,
        {{ tl_nullif_blank('model') }} as model_requested,
        lower({{ tl_nullif_blank('provider') }}) as provider_hint,
        {{ tl_nullif_blank('input_tokens') }} as input_tokens,
        {{ tl_nullif_blank('cached_input_tokens') }} as cached_input_tokens,
        {{ tl_nullif_blank('output_tokens') }} as output_tokens,
        lower({{ tl_nullif_blank('status') }}) as status,
        {{ tl_nullif_blank('api_key_id') }} as api_key_id,
        {{ tl_nullif_blank('user_email') }} as user_email,
        workflow,
        {{ tl_nullif_blank('labels') }} as labels_text,
        {{ tl_nullif_blank('attempt') }} as attempt_text,
        {{ tl_nullif_blank('retry_of') }} as retry_of,
        {{ dbt.hash(dbt.concat([
            "coalesce(job_id, '')", "'|'", "coalesce(created_at, '')", "'|'", "coalesce(agent, '')", "'|'",
            "coalesce(model, '')", "'|'", "coalesce(provider, '')", "'|'", "coalesce(input_tokens, '')", "'|'",
            "coalesce(cached_input_tokens, '')", "'|'", "coalesce(output_tokens, '')", "'|'",
            "coalesce(status, '')", "'|'", "coalesce(api_key_id, '')", "'|'", "coalesce(user_email, '')", "'|'",
            "coalesce(workflow, '')", "'|'", "coalesce(labels, '')", "'|'", "coalesce(attempt, '')", "'|'",
            "coalesce(retry_of, '')"
        ])) }} as record_hash
    from source

),

labelled as (

    select
        *,
        {{ tl_json_parse('labels_text') }} as labels_json
    from cleaned

),

checked as (

    select
        *,
        case when {{ tl_json_type('labels_json') }} = 'OBJECT' then labels_json end as labels,
        labels_text is not null and coalesce({{ tl_json_type('labels_json') }}, '') <> 'OBJECT' as has_invalid_labels,
        {{ tl_parse_utc_timestamp('created_at') }} as occurred_at,
        coalesce(status in {{ failed_statuses }}, false) as is_failed,
        -- A provider bills what it reports: a failed job with any count is billed (a missing count is 0);
        -- a job that did not fail must report both counts (else missing_usage).
        case
            when coalesce(status in {{ failed_statuses }}, false) then input_tokens is not null or output_tokens is not null
            else input_tokens is not null and output_tokens is not null
        end as has_usage,
        {{ tl_any_non_integer(token_columns) }} as has_non_integer_tokens,
        {{ tl_any_negative(token_columns) }} as has_negative_tokens,
        {{ tl_any_over_max(token_columns) }} as has_tokens_over_max
    from labelled

),

counted as (

    select
        *,
        {%- for col in token_columns %}
            case when has_usage then {{ tl_token_count(col) }} else 0 end as n_{{ col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from checked

),

final as (

    select
        load_id,
        file_path,
        file_sha256,
        source_row_number,
        line_number,
        loaded_at,
        raw_record,
        record_hash,
        job_id,
        retry_of,
        {{ tl_try_cast('attempt_text', 'integer') }} as attempt_number,
        occurred_at,
        provider_hint,
        status,
        is_failed,
        has_usage,
        model_requested,
        agent,
        api_key_id,
        user_email,
        workflow,
        labels_text,
        has_invalid_labels,
        created_at as created_at_text,
        input_tokens as input_tokens_text,
        cached_input_tokens as cached_input_tokens_text,
        output_tokens as output_tokens_text,
        {{ tl_nullif_blank(tl_json_text('labels', '$.team')) }} as tag_team,
        {{ tl_nullif_blank(tl_json_text('labels', '$.project')) }} as project,
        {{ tl_nullif_blank(tl_json_text('labels', '$.environment')) }} as environment,
        {{ tl_nullif_blank(tl_json_text('labels', '$.customer')) }} as customer,
        n_input_tokens - n_cached_input_tokens as uncached_input_tokens,
        n_cached_input_tokens as cache_read_tokens,
        cast(0 as bigint) as cache_write_5m_tokens,
        cast(0 as bigint) as cache_write_1h_tokens,
        n_output_tokens as output_tokens,
        cast(0 as bigint) as reasoning_tokens,
        n_input_tokens as source_input_tokens,
        case
            when parse_error is not null then 'ragged_row'
            when job_id is null then 'missing_id'
            when {{ tl_has_nul('job_id') }} or {{ tl_has_nul('retry_of') }} then 'invalid_id'
            {{ tl_timestamp_rejects() }}
            when not has_usage and not is_failed then 'missing_usage'
            {{ tl_token_rejects(none) }}
            when has_usage and n_input_tokens < n_cached_input_tokens then 'inconsistent_tokens'
            when has_usage and model_requested is null then 'missing_model'
        end as reject_reason
    from counted

)

select * from final
