{#-
  Every LiteLLM spend-log record landed (formats litellm_json: the proxy's /spend/logs answer, an
  array or a {data: [...]} page; litellm_jsonl; litellm_csv: a dump of the LiteLLM_SpendLogs table,
  landed as one JSON object of text per row; litellm_payload_jsonl / litellm_payload_json: LiteLLM's
  StandardLoggingPayload as its custom, S3 and GCS loggers write it), parsed and validated: one row
  per record, plus one per document that could not be read. `reject_reason` is NULL for a valid record.
  Tokens: prompt_tokens is the total input (LiteLLM folds cached input into it, for Anthropic too);
  the cache split comes from metadata.usage_object: cache_read_input_tokens (else
  prompt_tokens_details.cached_tokens), cache_creation_input_tokens (else
  prompt_tokens_details.cache_creation_tokens) split by cache_creation_token_details
  ephemeral_5m / ephemeral_1h (no split: all 5-minute). A LiteLLM cache hit (cache_hit true) never
  reached a provider: a valid record that is not billed.
  response_id is the provider's id when the record carries it: LiteLLM's own ids (chatcmpl-<uuid>,
  a bare uuid) are not, a Responses API id LiteLLM wrapped (resp_ + base64 of
  litellm:custom_llm_provider:...;model_id:...;response_id:<id>) is decoded.
  record_hash is taken over the parsed content (numbers, timestamps, tags as read), so the same
  record exported as JSON and as CSV is an equal copy, not a conflict.
-#}
{{ tl_base_parser_config() }}
{%- set token_columns = [
    'tok_input', 'tok_output', 'tok_cache_read', 'tok_cache_write', 'tok_write_5m', 'tok_write_1h', 'tok_reasoning'
] -%}
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
    'id_text': '$.id',
    'response_cost_text': '$.response_cost',
    'response_text': '$.response',
} -%}
{%- set usage_paths = {
    'u_cached_tokens': '$.usage_object.prompt_tokens_details.cached_tokens',
    'u_cache_read_tokens': '$.usage_object.cache_read_input_tokens',
    'u_cache_creation_tokens': '$.usage_object.cache_creation_input_tokens',
    'u_reasoning_tokens': '$.usage_object.completion_tokens_details.reasoning_tokens',
    'u_creation_details_tokens': '$.usage_object.prompt_tokens_details.cache_creation_tokens',
    'u_write_5m_tokens': '$.usage_object.prompt_tokens_details.cache_creation_token_details.ephemeral_5m_input_tokens',
    'u_write_1h_tokens': '$.usage_object.prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens',
    'u_top_write_5m_tokens': '$.usage_object.cache_creation_token_details.ephemeral_5m_input_tokens',
    'u_top_write_1h_tokens': '$.usage_object.cache_creation_token_details.ephemeral_1h_input_tokens',
    'u_native_write_5m_tokens': '$.usage_object.cache_creation.ephemeral_5m_input_tokens',
    'u_native_write_1h_tokens': '$.usage_object.cache_creation.ephemeral_1h_input_tokens',
    'm_key_hash': '$.user_api_key_hash',
    'm_team_id': '$.user_api_key_team_id',
    'm_user_email': '$.user_api_key_user_email',
    'm_user_id': '$.user_api_key_user_id',
    'm_team': '$.spend_logs_metadata.team',
    'm_project': '$.spend_logs_metadata.project',
    'm_environment': '$.spend_logs_metadata.environment',
    'm_customer': '$.spend_logs_metadata.customer',
} -%}
{#- LiteLLM's own ids: chatcmpl-<uuid4> (what it makes up when the provider's id is not kept), or a bare uuid (litellm_call_id). -#}
{%- set litellm_made_id = "'^(chatcmpl-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'" -%}
{#- base64 of 'litellm:custom_llm_provider' (27 bytes: 36 characters, whatever follows) -#}
{%- set wrapped_response_prefix = 'resp_bGl0ZWxsbTpjdXN0b21fbGxtX3Byb3ZpZGVy' -%}
with

{{ tl_source_documents(['litellm_json', 'litellm_jsonl', 'litellm_csv', 'litellm_payload_json', 'litellm_payload_jsonl']) }},

-- the paginated endpoint wraps the records: {"data": [...], "total": ..., "page": ...}
{{ tl_paged_records(
    '$.request_id',
    ['load_id', 'file_path', 'file_sha256', 'format', 'document_number', 'line_number', 'loaded_at',
    'raw_document', 'doc_type']
) }},

fields as (

    {{ tl_record_texts('records', record_paths) }}

),

named as (

    select
        load_id,
        file_path,
        file_sha256,
        format like 'litellm_payload%' as is_payload,
        document_number,
        line_number,
        loaded_at,
        raw_document,
        doc_type,
        record,
        record_type,
        {{- tl_named_elements('texts', record_paths) }}
    from fields

),

with_metadata as (

    -- metadata is a JSON object in the endpoint's answer and JSON text in a table dump: parse the text
    select
        *,
        {{ tl_json_texts(tl_json_parse('metadata_text'), usage_paths.values() | list) }} as usage_texts,
        {{ tl_json_text(tl_json_parse('response_text'), '$.id') }} as response_object_id,
        -- request_tags is a JSON array of strings; key:value entries are read as tags (one line, for the regexes)
        replace(replace(request_tags_text, chr(10), ' '), chr(13), ' ') as tags_line
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
        -- the spend log writes ISO text; the StandardLoggingPayload writes Unix seconds as a float
        case
            when is_payload and {{ tl_regex_matches('trim(start_time_text)', "'^[0-9]{1,10}([.][0-9]+)?$'") }}
                then {{ tl_timestamp_from_unix_nanos(dbt.cast(
                    'cast(' ~ tl_try_cast('trim(start_time_text)', 'decimal(38, 12)') ~ ' * 1000000000 as bigint)',
                    api.Column.translate_type('string'))) }}
            else {{ tl_parse_utc_timestamp('start_time_text') }}
        end as occurred_at,
        coalesce(
            {{ tl_try_cast('trim(coalesce(spend_text, response_cost_text))', 'decimal(38, 12)') }},
            cast({{ tl_try_cast('trim(coalesce(spend_text, response_cost_text))', 'double') }} as decimal(38, 12))
        ) as reported_cost_usd,
        {{ tl_litellm_tag('tags_line', ['team']) }} as t_team,
        {{ tl_litellm_tag('tags_line', ['project']) }} as t_project,
        {{ tl_litellm_tag('tags_line', ['environment', 'env']) }} as t_environment,
        {{ tl_litellm_tag('tags_line', ['customer']) }} as t_customer,
        coalesce(request_id_text, id_text) as any_request_id
    from with_metadata

),

tokens as (

    select
        *,
        prompt_tokens_text as tok_input,
        completion_tokens_text as tok_output,
        coalesce(u_cache_read_tokens, u_cached_tokens) as tok_cache_read,
        coalesce(u_cache_creation_tokens, u_creation_details_tokens) as tok_cache_write,
        coalesce(u_write_5m_tokens, u_top_write_5m_tokens, u_native_write_5m_tokens) as tok_write_5m,
        coalesce(u_write_1h_tokens, u_top_write_1h_tokens, u_native_write_1h_tokens) as tok_write_1h,
        u_reasoning_tokens as tok_reasoning,
        not is_cache_hit and (prompt_tokens_text is not null or completion_tokens_text is not null) as has_usage
    from mapped

),

{{ tl_checked_token_counts('tokens', token_columns) }},

split as (

    -- the cache write total, else the sum of its split; the 1-hour part is split out, the rest is 5-minute
    select
        *,
        case
            when tok_cache_write is not null then n_cache_write
            else n_write_5m + n_write_1h
        end as n_write_total
    from counted

),

judged as (

    select
        *,
        case
            when doc_type is null then 'invalid_json'
            when record_type <> 'OBJECT' then 'json_not_object'
            -- a CSV record the ingest could not split into fields lands as {"_unparsed": ..., "_error": ...}
            when {{ tl_json_type('record', '$._unparsed') }} is not null then 'ragged_row'
            when {{ tl_nullif_blank('any_request_id') }} is null then 'missing_id'
            {{ tl_timestamp_rejects() }}
            when not is_cache_hit and not has_usage and not is_failed then 'missing_usage'
            {{ tl_token_rejects() }}
            when has_usage and (n_input < n_cache_read + n_write_total or n_write_total < n_write_1h or n_output < n_reasoning)
                then 'inconsistent_tokens'
            when has_usage and {{ tl_nullif_blank('model_text') }} is null then 'missing_model'
        end as reject_reason
    from split

),

identified as (

    select
        *,
        {{ tl_nullif_blank('any_request_id') }} as record_id,
        case when is_payload then {{ tl_nullif_blank('m_key_hash') }} else {{ tl_nullif_blank('api_key_text') }} end as key_id,
        case
            when is_payload then coalesce({{ tl_nullif_blank('m_user_email') }}, {{ tl_nullif_blank('m_user_id') }})
            else {{ tl_nullif_blank('user_text') }}
        end as user_id,
        case when is_payload then {{ tl_nullif_blank('m_team_id') }} else {{ tl_nullif_blank('team_id_text') }} end as team_id,
        -- the provider's id: the stored response's id, else the request id, unless LiteLLM made it up
        coalesce(
            case
                when not {{ tl_regex_matches('trim(response_object_id)', litellm_made_id) }}
                    then {{ tl_nullif_blank('response_object_id') }}
            end,
            case
                when not {{ tl_regex_matches('trim(any_request_id)', litellm_made_id) }}
                    then {{ tl_nullif_blank('any_request_id') }}
            end
        ) as provider_id
    from judged

),

decoded as (

    select
        *,
        case
            when provider_id like '{{ wrapped_response_prefix }}%'
                then {{ tl_try_base64_text(dbt.right('provider_id', 'length(provider_id) - 5')) }}
        end as unwrapped_id
    from identified

),

final as (

    select
        {{ tl_document_row_key(
            'any_request_id, start_time_text, ' ~ dbt.cast('record', api.Column.translate_type('string'))
        ) }} as record_row_key,
        {{ tl_document_lineage() }},
        record_id as request_id,
        case
            when unwrapped_id like 'litellm:custom_llm_provider:%;response_id:_%'
                then {{ tl_regex_replace('unwrapped_id', '^.*;response_id:', '') }}
            else provider_id
        end as response_id,
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
        key_id as api_key_id,
        user_id as user_email,
        team_id as litellm_team_id,
        -- team: LiteLLM's team_id, else spend_logs_metadata.team, else a team: tag (aliases applied in stg)
        coalesce(team_id, {{ tl_nullif_blank('m_team') }}, t_team) as team_text,
        coalesce({{ tl_nullif_blank('m_project') }}, t_project) as project,
        coalesce({{ tl_nullif_blank('m_environment') }}, t_environment) as environment,
        coalesce({{ tl_nullif_blank('end_user_text') }}, {{ tl_nullif_blank('m_customer') }}, t_customer) as customer,
        {{ tl_nullif_blank('request_tags_text') }} as request_tags,
        reported_cost_usd,
        n_input - n_cache_read - n_write_total as uncached_input_tokens,
        n_cache_read as cache_read_tokens,
        n_write_total - n_write_1h as cache_write_5m_tokens,
        n_write_1h as cache_write_1h_tokens,
        n_output as output_tokens,
        n_reasoning as reasoning_tokens,
        n_input as source_input_tokens,
        {%- set record_text = dbt.cast('record', api.Column.translate_type('string')) %}
        {%- set str = api.Column.translate_type('string') %}
        {#- the content as parsed, so formatting (JSON numbers vs CSV text, timestamp styles) is not a difference #}
        {{ dbt.hash(dbt.concat([
            "coalesce(record_id, '')", "'|'", "coalesce(" ~ dbt.cast('occurred_at', str) ~ ", '')", "'|'",
            "coalesce(trim(call_type), '')", "'|'", "coalesce(trim(model_text), '')", "'|'",
            "coalesce(lower(trim(provider_text)), '')", "'|'", "coalesce(trim(model_group), '')", "'|'",
            "coalesce(trim(api_base), '')", "'|'", "coalesce(key_id, '')", "'|'", "coalesce(user_id, '')", "'|'",
            "coalesce(team_id, '')", "'|'", "coalesce(trim(end_user_text), '')", "'|'",
            "coalesce(lower(trim(status_text)), '')", "'|'", dbt.cast('is_cache_hit', str), "'|'",
            "coalesce(" ~ dbt.cast('reported_cost_usd', str) ~ ", '')", "'|'",
            dbt.cast('n_input', str), "'|'", dbt.cast('n_output', str), "'|'", dbt.cast('n_cache_read', str), "'|'",
            dbt.cast('n_write_total', str), "'|'", dbt.cast('n_write_1h', str), "'|'", dbt.cast('n_reasoning', str), "'|'",
            "coalesce(m_team, '')", "'|'", "coalesce(m_project, '')", "'|'", "coalesce(m_environment, '')", "'|'",
            "coalesce(m_customer, '')", "'|'", "coalesce(t_team, '')", "'|'", "coalesce(t_project, '')", "'|'",
            "coalesce(t_environment, '')", "'|'", "coalesce(t_customer, '')", "'|'",
            "coalesce(response_object_id, '')"
        ])) }} as record_hash,
        reject_reason,
        case
            when reject_reason is null then null
            when doc_type in ('ARRAY', 'OBJECT') then {{ dbt.cast('record', api.Column.translate_type('string')) }}
            else raw_document
        end as raw_record
    from decoded

)

select * from final
