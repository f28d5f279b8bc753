{{ tl_base_parser_config() }}
{#-
  Every AWS Bedrock model invocation log record landed (formats bedrock_jsonl: the S3 delivery, one
  record per line, usually gzip, or CloudWatch Logs events exported one message per line;
  bedrock_json: a JSON array of records, or one), parsed and validated: one row per record, plus one
  per document that could not be read. `reject_reason` is NULL for a valid record.
  Tokens: Bedrock's input.inputTokenCount excludes the prompt cache (as Anthropic's input_tokens):
  uncached input = inputTokenCount, cache reads = input.cacheReadInputTokenCount, cache writes =
  input.cacheWriteInputTokenCount, of which the 1-hour part is the Anthropic body's
  usage.cache_creation.ephemeral_1h_input_tokens (InvokeModel; else all 5-minute); output =
  output.outputTokenCount. A record with an errorCode is a failed call, billed only what it reports.
  Ownership: identity.arn, an STS assumed-role session (arn:aws:sts::<account>:assumed-role/<role>/<session>)
  reduced to its role's ARN (arn:aws:iam::<account>:role/<role>), so one role is one key whatever the
  session; a session name that is an e-mail address is the user. requestMetadata carries the tags.
  Model: a foundation-model or inference-profile ARN is reduced to its last path segment (the model
  or cross-region profile id the catalog matches); any other ARN (an application inference profile,
  a provisioned model) hides the model and is kept whole.
  response_id: the provider's message id in the output body (Anthropic's msg_bdrk_... id; a streamed
  body's message_start chunk); Converse bodies carry none.
-#}
{%- set token_columns = ['tok_input', 'tok_cache_read', 'tok_cache_write', 'tok_write_1h', 'tok_output'] -%}
{%- set record_paths = {
    'schema_type': '$.schemaType',
    'schema_version': '$.schemaVersion',
    'timestamp_text': '$.timestamp',
    'account_id_text': '$.accountId',
    'region_text': '$.region',
    'request_id_text': '$.requestId',
    'operation_text': '$.operation',
    'model_text': '$.modelId',
    'identity_arn_text': '$.identity.arn',
    'error_code_text': '$.errorCode',
    'tok_input': '$.input.inputTokenCount',
    'tok_cache_read': '$.input.cacheReadInputTokenCount',
    'tok_cache_write': '$.input.cacheWriteInputTokenCount',
    'tok_output': '$.output.outputTokenCount',
    'tok_write_1h': '$.output.outputBodyJson.usage.cache_creation.ephemeral_1h_input_tokens',
    'body_message_id': '$.output.outputBodyJson.id',
    'm_team': '$.requestMetadata.team',
    'm_project': '$.requestMetadata.project',
    'm_environment': '$.requestMetadata.environment',
    'm_env': '$.requestMetadata.env',
    'm_customer': '$.requestMetadata.customer',
    'm_agent': '$.requestMetadata.agent',
} -%}
{%- set str = api.Column.translate_type('string') -%}
{#- an STS assumed-role session: partition, account, role (the session name follows) -#}
{%- set session_pattern = '^arn:(aws[a-z-]*):sts::([0-9]*):assumed-role/([^/]+)/.*$' -%}
with

{{ tl_source_documents(['bedrock_jsonl', 'bedrock_json']) }},

envelopes as (

    select
        *,
        -- CloudWatch Logs events exported whole: {"events": [...]} (filter-log-events, get-log-events) or a
        -- subscription's {"logEvents": [...]}; each event's message is one record as JSON text
        case
            when {{ tl_json_type('doc', '$.events') }} = 'ARRAY' then '$.events'
            when {{ tl_json_type('doc', '$.logEvents') }} = 'ARRAY' then '$.logEvents'
        end as events_path
    from documents

),

containers as (

    -- what holds the records: the events array, else the document (an array of records, or one record)
    select
        *,
        case
            when events_path = '$.events' then {{ tl_json_get('doc', '$.events') }}
            when events_path = '$.logEvents' then {{ tl_json_get('doc', '$.logEvents') }}
            else doc
        end as container,
        case when events_path is not null then 'ARRAY' else doc_type end as container_type
    from envelopes

),

elements as (

    {{ tl_json_elements(
        'containers', 'container', 'container_type',
        [tl_document_lineage(['format']), 'raw_document', 'events_path'],
        'element'
    ) }}

),

records as (

    -- a log event's message is parsed; anything else is the record itself
    select
        *,
        case
            when events_path is not null and {{ tl_json_type('element', '$.message') }} = 'VARCHAR'
                then {{ tl_json_parse(tl_json_text('element', '$.message')) }}
            else element
        end as record,
        case
            when events_path is not null then {{ tl_json_text('element', '$.message') }}
        end as event_message
    from elements

),

fields as (

    select
        *,
        {{ tl_json_type('record') }} as record_type,
        {{ tl_json_type('record', '$.output.outputBodyJson') }} as body_type,
        {{ tl_json_texts('record', record_paths.values() | list) }} as texts
    from records

),

named as (

    select
        {{ tl_document_lineage(['format']) }},
        raw_document,
        events_path,
        element,
        event_message,
        record,
        record_type,
        body_type,
        {{- tl_named_elements('texts', record_paths) }},
        {{ dbt.cast(tl_json_get('record', '$.output.outputBodyJson'), str) }} as body_text,
        {{ dbt.cast(tl_json_get('record', '$.requestMetadata'), str) }} as request_metadata
    from fields

),

mapped as (

    select
        *,
        {{ tl_parse_utc_timestamp('timestamp_text') }} as occurred_at,
        {{ tl_nullif_blank('error_code_text') }} is not null as is_failed,
        trim(model_text) as model_trimmed,
        trim(identity_arn_text) as identity_arn,
        -- a streamed body is logged as its chunks (an array): the message id is in the message_start chunk
        case
            when body_type = 'OBJECT' then {{ tl_nullif_blank('body_message_id') }}
            when body_type = 'ARRAY' and {{ tl_regex_matches('body_text', "'\"id\": ?\"msg_[^\"]+\"'") }}
                then {{ tl_regex_replace('body_text', '^.*?\"id\": ?\"(msg_[^\"]+)\".*$', '\\1') }}
        end as message_id
    from named

),

tokens as (

    select
        *,
        tok_input is not null or tok_output is not null as has_usage
    from mapped

),

{{ tl_checked_token_counts('tokens', token_columns) }},

judged as (

    select
        *,
        case
            when record_type is null then 'invalid_json'
            when record_type <> 'OBJECT' then 'json_not_object'
            when {{ tl_nullif_blank('request_id_text') }} is null then 'missing_id'
            {{ tl_timestamp_rejects() }}
            -- a successful invocation always logs both counts
            when not is_failed and (tok_input is null or tok_output is null) then 'missing_usage'
            {{ tl_token_rejects() }}
            when has_usage and n_write_1h > n_cache_write then 'inconsistent_tokens'
            when has_usage and {{ tl_nullif_blank('model_text') }} is null then 'missing_model'
        end as reject_reason
    from counted

),

identified as (

    select
        *,
        {{ tl_nullif_blank('request_id_text') }} as record_id,
        -- one role is one key: an assumed-role session becomes its role's ARN
        case
            when {{ tl_regex_matches('identity_arn', "'^arn:aws[a-z-]*:sts::[0-9]*:assumed-role/[^/]+/.+$'") }}
                then {{ tl_regex_replace('identity_arn', session_pattern, 'arn:\\1:iam::\\2:role/\\3') }}
            else {{ tl_nullif_blank('identity_arn') }}
        end as key_id,
        case
            when {{ tl_regex_matches('identity_arn', "'^arn:aws[a-z-]*:sts::[0-9]*:assumed-role/[^/]+/[^/@]+@[^/@]+[.][^/@]+$'") }}
                then lower({{ tl_regex_replace('identity_arn', '^.*/', '') }})
        end as session_email,
        -- the model or cross-region profile id the catalog matches: the last segment of such an ARN
        case
            when model_trimmed like 'arn:%:foundation-model/%' or model_trimmed like 'arn:%:inference-profile/%'
                then {{ tl_regex_replace('model_trimmed', '^.*/', '') }}
            else {{ tl_nullif_blank('model_trimmed') }}
        end as model_ref
    from judged

),

final as (

    select
        {{ tl_document_row_key('request_id_text, timestamp_text, ' ~ dbt.cast('record', str)) }} as record_row_key,
        {{ tl_document_lineage() }},
        record_id as request_id,
        message_id as response_id,
        {{ tl_nullif_blank('operation_text') }} as api_operation,
        occurred_at,
        'aws' as provider_hint,
        model_ref as model_requested,
        {{ tl_nullif_blank('model_trimmed') }} as model_id_logged,
        {{ tl_nullif_blank('account_id_text') }} as account_id,
        {{ tl_nullif_blank('region_text') }} as region,
        {{ tl_nullif_blank('error_code_text') }} as error_code,
        is_failed,
        has_usage,
        {{ tl_nullif_blank('identity_arn') }} as identity_arn,
        key_id as api_key_id,
        session_email as user_email,
        {{ tl_nullif_blank('m_agent') }} as agent,
        {{ tl_nullif_blank('m_team') }} as team_text,
        {{ tl_nullif_blank('m_project') }} as project,
        coalesce({{ tl_nullif_blank('m_environment') }}, {{ tl_nullif_blank('m_env') }}) as environment,
        {{ tl_nullif_blank('m_customer') }} as customer,
        request_metadata,
        n_input as uncached_input_tokens,
        n_cache_read as cache_read_tokens,
        n_cache_write - n_write_1h as cache_write_5m_tokens,
        n_write_1h as cache_write_1h_tokens,
        n_output as output_tokens,
        n_input + n_cache_read + n_cache_write as source_input_tokens,
        {#- the content as parsed, so key order and number formatting are not a difference #}
        {{ dbt.hash(dbt.concat([
            "coalesce(record_id, '')", "'|'", "coalesce(" ~ dbt.cast('occurred_at', str) ~ ", '')", "'|'",
            "coalesce(trim(operation_text), '')", "'|'", "coalesce(model_trimmed, '')", "'|'",
            "coalesce(identity_arn, '')", "'|'", "coalesce(trim(error_code_text), '')", "'|'",
            "coalesce(trim(account_id_text), '')", "'|'", "coalesce(trim(region_text), '')", "'|'",
            dbt.cast('n_input', str), "'|'", dbt.cast('n_cache_read', str), "'|'", dbt.cast('n_cache_write', str), "'|'",
            dbt.cast('n_write_1h', str), "'|'", dbt.cast('n_output', str), "'|'",
            "coalesce(m_team, '')", "'|'", "coalesce(m_project, '')", "'|'", "coalesce(m_environment, '')", "'|'",
            "coalesce(m_env, '')", "'|'", "coalesce(m_customer, '')", "'|'", "coalesce(m_agent, '')", "'|'",
            "coalesce(message_id, '')"
        ])) }} as record_hash,
        reject_reason,
        case
            when reject_reason is null then null
            when record_type is not null then {{ dbt.cast('record', str) }}
            when events_path is not null then coalesce(event_message, {{ dbt.cast('element', str) }})
            else raw_document
        end as raw_record
    from identified

)

select * from final
