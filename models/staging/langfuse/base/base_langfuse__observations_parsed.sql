{#-
  Every Langfuse observation landed (formats langfuse_json: a page of the public observations API,
  v1 {data, meta: {page, limit, totalItems, totalPages}} or v2 {data, meta: {cursor}}, an array of
  observations or one observation; langfuse_jsonl: one observation per line, as the blob-storage
  export writes them), parsed and validated: one row per observation, plus one per document that could
  not be read. `reject_reason` is NULL for a valid record.
  Two spellings of the same fields: the API's camelCase (traceId, startTime, model / providedModelName,
  usageDetails, costDetails, calculatedTotalCost / totalCost, userId, sessionId) and the blob-storage
  export's snake_case (trace_id, start_time, provided_model_name, usage_details, cost_details,
  total_cost, user_id, session_id; timestamps 'YYYY-MM-DD HH:MM:SS.ffffff', UTC). The enriched export
  (observations_v2/) and the v2 API carry the trace's user, session, tags and release on the
  observation; the legacy observations/ export and the v1 API do not (those stay NULL).
  A call is an observation of type GENERATION or EMBEDDING (the types Langfuse tracks usage on; an
  observation without a type is one when it reports usage); SPAN, EVENT, AGENT, TOOL and the other
  types are valid records that are not calls. level ERROR is a failed call (billed when it reports usage).
  Tokens: Langfuse's usage types are disjoint (each unit counted once: Langfuse prices every key on its
  own and sums them to `total`); OpenAI-shaped usage is stored with the details subtracted (input =
  prompt_tokens - cached_tokens - audio_tokens, output = completion_tokens - reasoning_tokens - ...).
  So, summing every key of a bucket:
  - uncached input: input, input_tokens, input_audio_tokens / input_audio (the audio part also as
    input_audio_tokens);
  - cache read: input_cached_tokens, input_cache_read, cache_read_input_tokens;
  - cache write, 5-minute (or no TTL given): input_cache_creation, input_cache_write,
    cache_creation_input_tokens, input_cache_creation_5m; 1-hour: input_cache_creation_1h;
  - output: output, output_tokens, output_reasoning_tokens / output_reasoning, reasoning_tokens,
    output_audio_tokens / output_audio, output_accepted_prediction_tokens, output_rejected_prediction_tokens
    (reasoning: the three reasoning keys). The LangChain integration's keys (input_cache_read,
    input_cache_creation, input_audio, output_reasoning, output_audio) are subtracted the same way.
  Without usageDetails the legacy usage {input, output, total} is read. A `total` smaller than the
  buckets' sum is inconsistent_tokens (a producer that counted cached input inside `input` too).
  Provider: metadata ls_provider, gen_ai.provider.name or gen_ai.system (also in metadata.attributes, where
  Langfuse's OpenTelemetry endpoint keeps span attributes), else NULL (inferred from the model).
  response_id: gen_ai.response.id in metadata.attributes or metadata, else NULL (Langfuse keeps no
  provider response id of its own). Langfuse's own cost: costDetails.total, else calculatedTotalCost /
  totalCost / total_cost, as reported_cost_usd.
  record_hash is taken over the parsed content, so the same observation from the API and from the
  export is an equal copy, not a conflict.
-#}
{{ tl_base_parser_config() }}
{%- set usage_keys = [
    'input', 'input_tokens', 'input_audio_tokens', 'input_audio',
    'input_cached_tokens', 'input_cache_read', 'cache_read_input_tokens',
    'input_cache_creation', 'input_cache_write', 'cache_creation_input_tokens', 'input_cache_creation_5m',
    'input_cache_creation_1h',
    'output', 'output_tokens', 'output_reasoning_tokens', 'output_reasoning', 'reasoning_tokens',
    'output_audio_tokens', 'output_audio',
    'output_accepted_prediction_tokens', 'output_rejected_prediction_tokens',
    'total',
] -%}
{%- set legacy_keys = ['input', 'output', 'total'] -%}
{%- set usage_paths = [] -%}
{%- set token_columns = [] -%}
{%- for key in usage_keys -%}
    {%- do usage_paths.append('$.' ~ key) -%}
    {%- do token_columns.append('u_' ~ key) -%}
{%- endfor -%}
{%- for key in legacy_keys -%}
    {%- do token_columns.append('l_' ~ key) -%}
{%- endfor -%}
{%- set record_paths = {
    'id_text': '$.id',
    'trace_id_api': '$.traceId',
    'trace_id_blob': '$.trace_id',
    'type_text': '$.type',
    'parent_api': '$.parentObservationId',
    'parent_blob': '$.parent_observation_id',
    'start_api': '$.startTime',
    'start_blob': '$.start_time',
    'name_text': '$.name',
    'model_api': '$.model',
    'provided_api': '$.providedModelName',
    'provided_blob': '$.provided_model_name',
    'level_text': '$.level',
    'status_api': '$.statusMessage',
    'status_blob': '$.status_message',
    'environment_text': '$.environment',
    'user_api': '$.userId',
    'user_blob': '$.user_id',
    'session_api': '$.sessionId',
    'session_blob': '$.session_id',
    'release_text': '$.release',
    'tags_text': '$.tags',
    'cost_total_api': '$.costDetails.total',
    'cost_total_blob': '$.cost_details.total',
    'calculated_cost': '$.calculatedTotalCost',
    'total_cost_api': '$.totalCost',
    'total_cost_blob': '$.total_cost',
    'metadata_text': '$.metadata',
    'l_input_text': '$.usage.input',
    'l_output_text': '$.usage.output',
    'l_total_text': '$.usage.total',
} -%}
{%- set metadata_keys = {
    'm_team': 'team',
    'm_project': 'project',
    'm_environment': 'environment',
    'm_customer': 'customer',
    'm_agent': 'agent',
    'm_ls_provider': 'ls_provider',
    'm_provider_name': 'gen_ai.provider.name',
    'm_system': 'gen_ai.system',
    'm_response_id': 'gen_ai.response.id',
} -%}
{%- set attribute_keys = {
    'a_provider_name': 'gen_ai.provider.name',
    'a_system': 'gen_ai.system',
    'a_response_id': 'gen_ai.response.id',
    'a_agent': 'gen_ai.agent.name',
} -%}
{%- set str = api.Column.translate_type('string') -%}
with

{{ tl_source_documents(['langfuse_json', 'langfuse_jsonl']) }},

-- an API page wraps the observations: {"data": [...], "meta": {...}}
{{ tl_paged_records(
    '$.id',
    ['load_id', 'file_path', 'file_sha256', 'document_number', 'line_number', 'loaded_at',
    'raw_document', 'doc_type']
) }},

fields as (

    {{ tl_record_texts('records', record_paths) }}

),

named as (

    select
        {{ tl_document_lineage() }},
        raw_document,
        doc_type,
        record,
        record_type,
        {{- tl_named_elements('texts', record_paths) }},
        -- usageDetails (API) or usage_details (export): the usage types
        coalesce({{ tl_json_get('record', '$.usageDetails') }}, {{ tl_json_get('record', '$.usage_details') }}) as usage_details
    from fields

),

with_objects as (

    -- metadata is an object (or its JSON text, as the v2 API may return it); its attributes hold OTel span attributes
    select
        *,
        case
            when {{ tl_json_type('record', '$.metadata') }} = 'VARCHAR' then {{ tl_json_parse('metadata_text') }}
            else {{ tl_json_get('record', '$.metadata') }}
        end as metadata,
        {{ tl_json_type('usage_details') }} as usage_type
    from named

),


with_entries as (

    select
        *,
        case when {{ tl_json_type('metadata') }} = 'OBJECT' then {{ tl_json_entries('metadata') }} end as metadata_entries,
        case
            when {{ tl_json_type('metadata', '$.attributes') }} = 'OBJECT'
                then {{ tl_json_entries(tl_json_get('metadata', '$.attributes')) }}
        end as attribute_entries,
        {{ tl_json_texts('usage_details', usage_paths) }} as usage_texts,
        -- tags is a JSON array of strings; key:value entries are read as tags (one line, for the regexes)
        replace(replace(tags_text, chr(10), ' '), chr(13), ' ') as tags_line
    from with_objects

),

looked_up as (

    -- metadata keys, matched case-insensitively (dotted OpenTelemetry names are keys, not paths)
    select
        *,
        {%- for name, key in metadata_keys.items() %}
            {{ tl_json_text_ci('metadata_entries', key) }} as {{ name }}_raw,
        {%- endfor %}
        {%- for name, key in attribute_keys.items() %}
            {{ tl_json_text_ci('attribute_entries', key) }} as {{ name }}_raw{% if not loop.last %},{% endif %}
        {%- endfor %}
    from with_entries

),

mapped as (

    select
        *,
        {%- for key in usage_keys %}
            case when usage_type = 'OBJECT' then {{ tl_list_element('usage_texts', loop.index) }} end as u_{{ key }},
        {%- endfor %}
        -- the legacy usage object only when there is no usageDetails at all
        {%- for key in legacy_keys %}
            case when usage_type is null then l_{{ key }}_text end as l_{{ key }},
        {%- endfor %}
        {%- for name in metadata_keys.keys() | list + attribute_keys.keys() | list %}
            {{ tl_nullif_blank(name ~ '_raw') }} as {{ name }},
        {%- endfor %}
        {{ tl_parse_utc_timestamp('coalesce(start_api, start_blob)') }} as occurred_at,
        upper({{ tl_nullif_blank('type_text') }}) as observation_type,
        coalesce(
            {{ tl_nullif_blank('model_api') }}, {{ tl_nullif_blank('provided_api') }}, {{ tl_nullif_blank('provided_blob') }}
        ) as model_text,
        coalesce(upper(trim(level_text)) = 'ERROR', false) as is_failed,
        trim(coalesce(cost_total_api, cost_total_blob, calculated_cost, total_cost_api, total_cost_blob)) as cost_text,
        {{ tl_litellm_tag('tags_line', ['team']) }} as t_team,
        {{ tl_litellm_tag('tags_line', ['project']) }} as t_project,
        {{ tl_litellm_tag('tags_line', ['environment', 'env']) }} as t_environment,
        {{ tl_litellm_tag('tags_line', ['customer']) }} as t_customer
    from looked_up

),

tokens as (

    select
        *,
        (
            {%- for key in usage_keys if key != 'total' %}
                u_{{ key }} is not null or
            {%- endfor %}
            l_input is not null or l_output is not null
        ) as has_usage,
        coalesce(u_total is not null or l_total is not null, false) as has_total
    from mapped

),

classified as (

    select
        *,
        coalesce(observation_type in ('GENERATION', 'EMBEDDING'), false) or (observation_type is null and has_usage) as is_call,
        coalesce(
            {{ tl_try_cast('cost_text', 'decimal(38, 12)') }},
            cast({{ tl_try_cast('cost_text', 'double') }} as decimal(38, 12))
        ) as reported_cost_usd
    from tokens

),

{{ tl_checked_token_counts('classified', token_columns, 'is_call and has_usage') }},

bucketed as (

    -- the disjoint usage types summed into the canonical buckets (see the header)
    select
        *,
        n_u_input + n_u_input_tokens + n_u_input_audio_tokens + n_u_input_audio + n_l_input as b_uncached,
        n_u_input_cached_tokens + n_u_input_cache_read + n_u_cache_read_input_tokens as b_cache_read,
        n_u_input_cache_creation + n_u_input_cache_write + n_u_cache_creation_input_tokens
        + n_u_input_cache_creation_5m as b_write_5m,
        n_u_input_cache_creation_1h as b_write_1h,
        n_u_output + n_u_output_tokens + n_u_output_reasoning_tokens + n_u_output_reasoning + n_u_reasoning_tokens
        + n_u_output_audio_tokens + n_u_output_audio + n_u_output_accepted_prediction_tokens
        + n_u_output_rejected_prediction_tokens + n_l_output as b_output,
        n_u_output_reasoning_tokens + n_u_output_reasoning + n_u_reasoning_tokens as b_reasoning,
        n_u_input_audio_tokens + n_u_input_audio as b_input_audio,
        n_u_output_audio_tokens + n_u_output_audio as b_output_audio,
        n_u_total + n_l_total as b_total
    from counted

),

judged as (

    select
        *,
        case
            when doc_type is null then 'invalid_json'
            when record_type <> 'OBJECT' then 'json_not_object'
            when {{ tl_nullif_blank('id_text') }} is null then 'missing_id'
            when {{ tl_has_nul('id_text') }} then 'invalid_id'
            {{ tl_timestamp_rejects() }}
            when not is_call then null
            when not has_usage and not is_failed then 'missing_usage'
            {{ tl_token_rejects() }}
            when has_usage and has_total
                and b_total < b_uncached + b_cache_read + b_write_5m + b_write_1h + b_output then 'inconsistent_tokens'
            when has_usage and model_text is null then 'missing_model'
        end as reject_reason
    from bucketed

),

identified as (

    select
        *,
        {{ tl_nullif_blank('id_text') }} as record_id,
        coalesce({{ tl_nullif_blank('trace_id_api') }}, {{ tl_nullif_blank('trace_id_blob') }}) as trace_id,
        coalesce({{ tl_nullif_blank('parent_api') }}, {{ tl_nullif_blank('parent_blob') }}) as parent_id,
        coalesce({{ tl_nullif_blank('user_api') }}, {{ tl_nullif_blank('user_blob') }}) as user_id,
        coalesce({{ tl_nullif_blank('session_api') }}, {{ tl_nullif_blank('session_blob') }}) as session_id,
        lower(coalesce(m_ls_provider, a_provider_name, a_system, m_provider_name, m_system)) as provider_text,
        coalesce(a_response_id, m_response_id) as provider_response_id,
        -- Langfuse names an observation sent without an environment `default`: that is no environment tag
        case
            when lower(trim(environment_text)) <> 'default' then {{ tl_nullif_blank('environment_text') }}
        end as langfuse_environment
    from judged

),

final as (

    select
        {{ tl_document_row_key(
            'id_text, start_api, start_blob, ' ~ dbt.cast('record', api.Column.translate_type('string'))
        ) }} as record_row_key,
        {{ tl_document_lineage() }},
        record_id as observation_id,
        trace_id,
        parent_id as parent_observation_id,
        observation_type,
        {{ tl_nullif_blank('name_text') }} as observation_name,
        is_call,
        provider_response_id as response_id,
        occurred_at,
        provider_text as provider_hint,
        model_text as model_requested,
        upper({{ tl_nullif_blank('level_text') }}) as observation_level,
        coalesce({{ tl_nullif_blank('status_api') }}, {{ tl_nullif_blank('status_blob') }}) as status_message,
        is_failed,
        is_call and has_usage as has_usage,
        user_id as user_email,
        session_id,
        {{ tl_nullif_blank('release_text') }} as trace_release,
        -- team: metadata.team, else a team: tag (lower-cased in stg)
        coalesce(m_team, t_team) as team_text,
        coalesce(m_project, t_project) as project,
        coalesce(langfuse_environment, m_environment, t_environment) as environment,
        coalesce(m_customer, t_customer) as customer,
        coalesce(m_agent, a_agent) as agent,
        {{ tl_nullif_blank('tags_text') }} as tags,
        reported_cost_usd,
        b_uncached as uncached_input_tokens,
        b_cache_read as cache_read_tokens,
        b_write_5m as cache_write_5m_tokens,
        b_write_1h as cache_write_1h_tokens,
        b_output as output_tokens,
        b_reasoning as reasoning_tokens,
        b_input_audio as input_audio_tokens,
        b_output_audio as output_audio_tokens,
        b_uncached + b_cache_read + b_write_5m + b_write_1h as source_input_tokens,
        {#- the content as parsed, so the API's and the export's spellings (and timestamp styles) are not a difference #}
        {{ dbt.hash(dbt.concat([
            "coalesce(record_id, '')", "'|'", "coalesce(trace_id, '')", "'|'", "coalesce(parent_id, '')", "'|'",
            "coalesce(observation_type, '')", "'|'", "coalesce(" ~ dbt.cast('occurred_at', str) ~ ", '')", "'|'",
            "coalesce(model_text, '')", "'|'", "coalesce(upper(trim(level_text)), '')", "'|'",
            "coalesce(provider_text, '')", "'|'", "coalesce(provider_response_id, '')", "'|'",
            "coalesce(user_id, '')", "'|'", "coalesce(session_id, '')", "'|'", "coalesce(trim(release_text), '')", "'|'",
            "coalesce(langfuse_environment, '')", "'|'", "coalesce(m_team, '')", "'|'", "coalesce(m_project, '')", "'|'",
            "coalesce(m_environment, '')", "'|'", "coalesce(m_customer, '')", "'|'", "coalesce(m_agent, '')", "'|'",
            "coalesce(a_agent, '')", "'|'", "coalesce(t_team, '')", "'|'", "coalesce(t_project, '')", "'|'",
            "coalesce(t_environment, '')", "'|'", "coalesce(t_customer, '')", "'|'",
            "coalesce(" ~ dbt.cast('reported_cost_usd', str) ~ ", '')", "'|'", dbt.cast('has_usage', str), "'|'",
            dbt.cast('b_uncached', str), "'|'", dbt.cast('b_cache_read', str), "'|'", dbt.cast('b_write_5m', str), "'|'",
            dbt.cast('b_write_1h', str), "'|'", dbt.cast('b_output', str), "'|'", dbt.cast('b_reasoning', str), "'|'",
            dbt.cast('b_input_audio', str), "'|'", dbt.cast('b_output_audio', str)
        ])) }} as record_hash,
        reject_reason,
        case
            when reject_reason is null then null
            when doc_type in ('ARRAY', 'OBJECT') then {{ dbt.cast('record', str) }}
            else raw_document
        end as raw_record
    from identified

)

select * from final
