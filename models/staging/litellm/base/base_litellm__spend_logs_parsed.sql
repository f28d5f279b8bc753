{#-
  Every LiteLLM spend-log record landed (formats litellm_json: the proxy's /spend/logs answer, an
  array or a {data: [...]} page; litellm_jsonl; litellm_csv: a dump of the LiteLLM_SpendLogs table,
  landed as one JSON object of text per row), parsed and validated: one row per record, plus one per
  document that could not be read. `reject_reason` is NULL for a valid record.
  Tokens: prompt_tokens is the total input (LiteLLM folds cached input into it, for Anthropic too);
  the cache split comes from metadata.usage_object: cache_read_input_tokens (else
  prompt_tokens_details.cached_tokens) and cache_creation_input_tokens. A LiteLLM cache hit
  (cache_hit true) never reached a provider: a valid record that is not billed.
-#}
{%- set token_columns = ['tok_input', 'tok_output', 'tok_cache_read', 'tok_cache_write', 'tok_reasoning'] -%}
{%- set record_paths = {
    'request_id_text': '$.request_id',
    'call_type': '$.call_type',
    'api_key_text': '$.api_key',
    'spend_text': '$.spend',
    'total_tokens_text': '$.total_tokens',
    'prompt_tokens_text': '$.prompt_tokens',
    'completion_tokens_text': '$.completion_tokens',
    'start_time_text': '$.startTime',
    'end_time_text': '$.endTime',
    'model_text': '$.model',
    'model_group': '$.model_group',
    'provider_text': '$.custom_llm_provider',
    'api_base': '$.api_base',
    'user_text': '$.user',
    'metadata_text': '$.metadata',
    'cache_hit_text': '$.cache_hit',
    'request_tags_text': '$.request_tags',
    'team_id_text': '$.team_id',
    'end_user_text': '$.end_user',
    'status_text': '$.status',
} -%}
{%- set usage_paths = {
    'u_cached_tokens': '$.usage_object.prompt_tokens_details.cached_tokens',
    'u_cache_read_tokens': '$.usage_object.cache_read_input_tokens',
    'u_cache_creation_tokens': '$.usage_object.cache_creation_input_tokens',
    'u_reasoning_tokens': '$.usage_object.completion_tokens_details.reasoning_tokens',
} -%}
with

source as (

    select * from {{ source('documents', 'source_documents') }}
    where format in ('litellm_json', 'litellm_jsonl', 'litellm_csv')
        and {{ tl_unseen_loads() }}

),

parsed as (

    select
        *,
        {{ tl_json_parse('raw_document') }} as doc
    from source

),

documents as (

    select
        *,
        {{ tl_json_type('doc') }} as doc_type,
        -- the paginated endpoint wraps the records: {"data": [...], "total": ..., "page": ...}
        {{ tl_json_type('doc', '$.data') }} = 'ARRAY' and {{ tl_json_type('doc', '$.request_id') }} is null as is_page
    from parsed

),

containers as (

    -- what holds the records: a page's data array, else the document (an array of records, or one record)
    select
        *,
        case when is_page then {{ tl_json_get('doc', '$.data') }} else doc end as container,
        case when is_page then 'ARRAY' else doc_type end as container_type
    from documents

),

records as (

    {{ tl_json_elements(
        'containers', 'container', 'container_type',
        ['load_id', 'file_path', 'file_sha256', 'document_number', 'line_number', 'loaded_at', 'raw_document', 'doc_type'],
        'record'
    ) }}

),

fields as (

    select
        *,
        {{ tl_json_type('record') }} as record_type,
        {{ tl_json_texts('record', record_paths.values() | list) }} as texts
    from records

),

named as (

    select
        load_id,
        file_path,
        file_sha256,
        document_number,
        line_number,
        loaded_at,
        raw_document,
        doc_type,
        record,
        record_type,
        {%- for name in record_paths %}
            {{ tl_list_element('texts', loop.index) }} as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from fields

),

with_metadata as (

    -- metadata is a JSON object in the endpoint's answer and JSON text in a table dump: parse the text
    select
        *,
        {{ tl_json_texts(tl_json_parse('metadata_text'), usage_paths.values() | list) }} as usage_texts
    from named

),

mapped as (

    select
        *,
        {%- for name in usage_paths %}
            {{ tl_list_element('usage_texts', loop.index) }} as {{ name }},
        {%- endfor %}
        coalesce(lower(trim(cache_hit_text)) in ('true', '1', 't'), false) as is_cache_hit,
        coalesce(lower(trim(status_text)) in ('failure', 'failed', 'error'), false) as is_failed,
        {{ tl_parse_utc_timestamp('start_time_text') }} as occurred_at,
        coalesce(
            {{ tl_try_cast('trim(spend_text)', 'decimal(38, 12)') }},
            cast({{ tl_try_cast('trim(spend_text)', 'double') }} as decimal(38, 12))
        ) as reported_cost_usd
    from with_metadata

),

tokens as (

    select
        *,
        prompt_tokens_text as tok_input,
        completion_tokens_text as tok_output,
        coalesce(u_cache_read_tokens, u_cached_tokens) as tok_cache_read,
        u_cache_creation_tokens as tok_cache_write,
        u_reasoning_tokens as tok_reasoning,
        not is_cache_hit and (prompt_tokens_text is not null or completion_tokens_text is not null) as has_usage
    from mapped

),

checked as (

    select
        *,
        {{ tl_any_non_integer(token_columns) }} as has_non_integer_tokens,
        {{ tl_any_negative(token_columns) }} as has_negative_tokens,
        {{ tl_any_over_max(token_columns) }} as has_tokens_over_max
    from tokens

),

counted as (

    select
        *,
        {%- for col in token_columns %}
            case when has_usage then {{ tl_token_count(col) }} else 0 end as n_{{ col[4:] }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from checked

),

judged as (

    select
        *,
        case
            when doc_type is null then 'invalid_json'
            when record_type <> 'OBJECT' then 'json_not_object'
            -- a CSV record the ingest could not split into fields lands as {"_unparsed": ..., "_error": ...}
            when {{ tl_json_type('record', '$._unparsed') }} is not null then 'ragged_row'
            when {{ tl_nullif_blank('request_id_text') }} is null then 'missing_id'
            when occurred_at is null then 'invalid_timestamp'
            when {{ tl_implausible_timestamp('occurred_at') }} then 'implausible_timestamp'
            when not is_cache_hit and not has_usage and not is_failed then 'missing_usage'
            when has_usage and has_non_integer_tokens then 'non_numeric_tokens'
            when has_usage and has_negative_tokens then 'negative_tokens'
            when has_usage and has_tokens_over_max then 'tokens_over_max'
            when has_usage and (n_input < n_cache_read + n_cache_write or n_output < n_reasoning)
                then 'inconsistent_tokens'
            when has_usage and {{ tl_nullif_blank('model_text') }} is null then 'missing_model'
        end as reject_reason
    from counted

),

final as (

    select
        {{ dbt.concat([
            dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('document_number', api.Column.translate_type('string')), "':'",
            dbt.cast('row_number() over (partition by load_id, document_number order by request_id_text, start_time_text, record)',
                api.Column.translate_type('string'))
        ]) }} as record_row_key,
        load_id,
        file_path,
        file_sha256,
        document_number,
        line_number,
        loaded_at,
        {{ tl_nullif_blank('request_id_text') }} as request_id,
        {{ tl_nullif_blank('call_type') }} as call_type,
        occurred_at,
        lower({{ tl_nullif_blank('provider_text') }}) as provider_hint,
        -- a model written with its provider prefix (anthropic/claude-...) is reduced to the model
        case
            when lower(trim(model_text)) like lower(trim(provider_text)) || '/%'
                then {{ dbt.right('trim(model_text)', 'length(trim(model_text)) - length(trim(provider_text)) - 1') }}
            else {{ tl_nullif_blank('model_text') }}
        end as model_requested,
        {{ tl_nullif_blank('model_group') }} as model_group,
        {{ tl_nullif_blank('api_base') }} as api_base,
        is_failed,
        is_cache_hit,
        has_usage,
        {{ tl_nullif_blank('api_key_text') }} as api_key_id,
        {{ tl_nullif_blank('user_text') }} as user_email,
        {{ tl_nullif_blank('team_id_text') }} as litellm_team_id,
        {{ tl_nullif_blank('end_user_text') }} as customer,
        {{ tl_nullif_blank('request_tags_text') }} as request_tags,
        reported_cost_usd,
        n_input - n_cache_read - n_cache_write as uncached_input_tokens,
        n_cache_read as cache_read_tokens,
        n_cache_write as cache_write_5m_tokens,
        cast(0 as bigint) as cache_write_1h_tokens,
        n_output as output_tokens,
        n_reasoning as reasoning_tokens,
        n_input as source_input_tokens,
        {%- set record_text = dbt.cast('record', api.Column.translate_type('string')) %}
        {{ dbt.hash('coalesce(' ~ record_text ~ ', raw_document)') }} as record_hash,
        reject_reason,
        case
            when reject_reason is null then null
            when doc_type in ('ARRAY', 'OBJECT') then {{ dbt.cast('record', api.Column.translate_type('string')) }}
            else raw_document
        end as raw_record
    from judged

)

select * from final
