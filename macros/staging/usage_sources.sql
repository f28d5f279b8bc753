{#-
  The usage-source registry: every source of request-level usage events, in one list. Each source's
  staging folder ends in `stg_<name>__attempts`, the conformed contract (tl_attempt_columns): the
  union of attempts, cross-source matching and the conservation test loop over this list, so adding a
  source is its staging folder plus one entry here. The folder also holds stg_<name>__record_copies
  (its latest-copy rule, tl_record_copy_columns: audit.duplicate_records loops over it) and
  stg_<name>__rejected_rows (the reject contract).
  Entry keys:
  - name: the `source` value of its events, and the <name> of stg_<name>__attempts;
  - records: where its landed records are counted for conservation, ['source', <source>, <table>]
    (one raw row per record) or ['ref', <model>] (a parsed model with one row per record, for sources
    whose raw rows are whole documents);
  - not_calls (optional): [<model>, <where>], records that are not calls and so not events (an OTel
    span that reports no usage);
  - reported_cost (optional): true when the source's records carry their producer's own cost: its
    stg_<name>__attempts then has reported_cost_usd, compared with our price in
    audit.reported_cost_disagreements (tolerance var <name>_cost_tolerance_pct).
-#}
{% macro tl_usage_sources() -%}
    {{ return([
        {'name': 'gateway', 'records': ['source', 'gateway', 'gateway_requests']},
        {'name': 'jobs', 'records': ['source', 'jobs', 'jobs_export']},
        {'name': 'otel', 'records': ['ref', 'base_otel__spans_parsed'],
            'not_calls': ['stg_otel__spans', "collapse_rule = 'no_usage'"], 'reported_cost': true},
        {'name': 'litellm', 'records': ['ref', 'base_litellm__spend_logs_parsed'], 'reported_cost': true},
        {'name': 'langfuse', 'records': ['ref', 'base_langfuse__observations_parsed'],
            'not_calls': ['stg_langfuse__observations', 'not is_call'], 'reported_cost': true},
        {'name': 'bedrock', 'records': ['ref', 'base_bedrock__invocations_parsed']},
    ]) }}
{%- endmacro %}

{#-
  The sources whose staging rejects raw rows: each folder has stg_<name>__rejected_rows in the reject
  contract (source, row_key, load_id, file_path, source_row_number, record_id, reject_reason,
  raw_record), and audit.rejected_rows is their union. Every usage source, plus the provider reports.
-#}
{% macro tl_rejecting_sources() -%}
    {{ return(tl_usage_sources() | map(attribute='name') | list + ['provider_reports']) }}
{%- endmacro %}

{#- The relation of a registry entry's `records` (or of any ['source', s, t] / ['ref', m] spec). -#}
{% macro tl_registry_relation(spec) -%}
    {%- if spec[0] == 'source' -%}
        {{ return(source(spec[1], spec[2])) }}
    {%- else -%}
        {{ return(ref(spec[1])) }}
    {%- endif -%}
{%- endmacro %}

{#-
  The conformed attempt contract every stg_<source>__attempts provides, in this order: identity
  (source, attempt_id, retry chain), the provider's response id, time, provider and model reference,
  outcome, pricing context, ownership keys and tags, the canonical token buckets, the source's own
  input total, lineage. Sources add columns freely after these.
-#}
{% macro tl_attempt_columns() -%}
    {{ return([
        'source', 'attempt_id', 'retry_of', 'attempt_number', 'occurred_at', 'provider_hint', 'model_requested',
        'is_failed', 'has_usage', 'response_id', 'is_batch', 'service_tier',
        'agent', 'api_key_id', 'user_email', 'tag_team', 'project', 'environment', 'customer',
        'uncached_input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens',
        'output_tokens', 'reasoning_tokens', 'input_audio_tokens', 'output_audio_tokens', 'web_search_requests',
        'source_input_tokens', 'load_id',
    ]) }}
{%- endmacro %}

{#-
  What a contract column is when a source does not report it: a typed NULL (unknown), or 0 / false
  for the counts and flags a source without them never bills.
-#}
{% macro tl_absent_attempt_column(column) -%}
    {%- set text = 'cast(null as ' ~ dbt.type_string() ~ ')' -%}
    {%- set absent = {
        'retry_of': text, 'attempt_number': 'cast(null as integer)',
        'response_id': text, 'is_batch': 'false', 'service_tier': text,
        'agent': text, 'api_key_id': text, 'user_email': text,
        'project': text, 'environment': text, 'customer': text,
        'input_audio_tokens': 'cast(0 as bigint)', 'output_audio_tokens': 'cast(0 as bigint)',
        'web_search_requests': 'cast(0 as bigint)',
    } -%}
    {%- if column not in absent -%}
        {{ exceptions.raise_compiler_error("the attempt contract requires " ~ column ~ " from every source") }}
    {%- endif -%}
    {{ return(absent[column]) }}
{%- endmacro %}

{#-
  A source's attempts in the conformed contract: `select` of every tl_attempt_columns column from
  `relation` (optionally filtered by `where`). `mapping` gives the source's expression for a contract
  column whose own column has another name (e.g. {'attempt_id': 'job_id'}), or none for one the
  source does not report (tl_absent_attempt_column); any other contract column is read by its name.
  `extra`: the source's own columns kept after the contract (lineage and the like).
-#}
{% macro tl_conformed_attempts(source_name, relation, mapping, extra=[], where=none) -%}
    select
        '{{ source_name }}' as source,
        {%- for column in tl_attempt_columns()[1:] %}
            {%- if column in mapping and mapping[column] is none %}
        {{ tl_absent_attempt_column(column) }} as {{ column }}
            {%- elif column in mapping %}
        {{ mapping[column] }} as {{ column }}
            {%- else %}
        {{ column }}
            {%- endif %}{% if not loop.last or extra %},{% endif %}
        {%- endfor %}
        {%- for column in extra %}
        {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
{%- endmacro %}

{#- `select <contract columns> from stg_<s>__attempts union all ...` over every registered source. -#}
{% macro tl_union_attempts(columns=none) -%}
    {%- set columns = columns or tl_attempt_columns() -%}
    {%- for src in tl_usage_sources() %}
    select
        {{ columns | join(',\n        ') }}
    from {{ ref('stg_' ~ src.name ~ '__attempts') }}
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
{%- endmacro %}

{#- `select * from stg_<s>__rejected_rows union all ...` over every rejecting source (tl_rejecting_sources). -#}
{% macro tl_union_rejected_rows() -%}
    {%- for name in tl_rejecting_sources() %}
    select * from {{ ref('stg_' ~ name ~ '__rejected_rows') }}
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
{%- endmacro %}

{#-
  The copy contract every stg_<name>__record_copies provides after its source's parsed columns: one row
  per valid parsed row, each a copy of one record. copy_source (the registry name), copy_record_id (the
  record's id), copy_row_key (the row's unique key within its source), copy_source_row_number (the row's
  line or record number in its file), copy_rank (tl_copy_rank over the record's copies: 1 = the copy
  staging keeps) and copies (how many valid copies of the record were landed). The parsed lineage
  (load_id, file_path, record_hash) is among the parsed columns of every source.
-#}
{% macro tl_record_copy_columns() -%}
    {{ return(['copy_source', 'copy_record_id', 'copy_row_key', 'copy_source_row_number', 'copy_rank', 'copies']) }}
{%- endmacro %}

{#-
  `select <columns> from stg_<s>__record_copies union all ...` over every registered source (default
  columns: tl_record_copy_columns, then the parsed lineage load_id, file_path, record_hash).
-#}
{% macro tl_union_record_copies(columns=none) -%}
    {%- set columns = columns or tl_record_copy_columns() + ['load_id', 'file_path', 'record_hash'] -%}
    {%- for src in tl_usage_sources() %}
    select
        {{ columns | join(',\n        ') }}
    from {{ ref('stg_' ~ src.name ~ '__record_copies') }}
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
{%- endmacro %}

{#-
  The latest-copy rule, in one place: rank the copies of one record (partition_by) so that 1 is the
  copy from the most recently loaded file, and within one file the later position (`position`: the
  columns that order records within a file, e.g. ['line_number'] or ['document_number', 'row_key']).
-#}
{% macro tl_copy_rank(partition_by, position) -%}
    row_number() over (
        partition by {{ partition_by }}
        order by load_id desc{% for col in position %}, {{ col }} desc{% endfor %}
    )
{%- endmacro %}

{#- The `source` values of the registered usage sources, in registry order (accepted values of the ledger's `source`). -#}
{% macro tl_usage_source_names() -%}
    {{ return(tl_usage_sources() | map(attribute='name') | list) }}
{%- endmacro %}

{#-
  `select source, attempt_id, reported_cost_usd, tolerance_pct from stg_<s>__attempts union all ...` over
  the registered sources whose records carry their own cost (registry key reported_cost: their
  stg_<s>__attempts has reported_cost_usd). tolerance_pct: var('<s>_cost_tolerance_pct'), default var
  litellm_cost_tolerance_pct. Attempts without a reported cost are left out.
-#}
{% macro tl_union_reported_costs() -%}
    {%- set sources = tl_usage_sources() | selectattr('reported_cost', 'defined') | selectattr('reported_cost') | list -%}
    {%- for src in sources %}
    select
        source,
        attempt_id,
        reported_cost_usd,
        cast({{ var(src.name ~ '_cost_tolerance_pct', var('litellm_cost_tolerance_pct')) }} as decimal(18, 4)) as tolerance_pct
    from {{ ref('stg_' ~ src.name ~ '__attempts') }}
    where reported_cost_usd is not null
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
{%- endmacro %}

{#-
  A source's stg_<name>__record_copies, whole: every valid row of `parsed` (reject_reason NULL) with
  all its parsed columns, then the copy contract (tl_record_copy_columns). `copy` gives the source's
  expressions: record_id (the record's id), partition_by (the columns that identify one record;
  default record_id), row_key (the row's unique key in its source), row_number (its line or record
  number in its file) and position (the columns that order records within a file, for tl_copy_rank).
-#}
{% macro tl_record_copies(source_name, parsed, copy) -%}
    {%- set partition_by = copy.get('partition_by', copy.record_id) -%}
with

parsed as (

    select * from {{ parsed }}

),

valid_rows as (

    select * from parsed
    where reject_reason is null

),

final as (

    select
        valid_rows.*,
        '{{ source_name }}' as copy_source,
        {{ copy.record_id }} as copy_record_id,
        {{ copy.row_key }} as copy_row_key,
        {{ copy.row_number }} as copy_source_row_number,
        {{ tl_copy_rank(partition_by, copy.position) }} as copy_rank,
        count(*) over (partition by {{ partition_by }}) as copies
    from valid_rows

)

select * from final
{%- endmacro %}

{#-
  A source's stg_<name>__rejected_rows, whole: the rows of `parsed` staging rejected (reject_reason
  set), in the reject contract (source, row_key, load_id, file_path, source_row_number, record_id,
  reject_reason, raw_record). `columns` gives the source's expression for each contract column whose
  own column has another name (source: default the quoted source_name; load_id, file_path and
  reject_reason are read as they are).
-#}
{% macro tl_rejected_rows(source_name, parsed, columns) -%}
with

parsed as (

    select * from {{ parsed }}

),

final as (

    select
        {{ columns.get('source', "'" ~ source_name ~ "'") }} as source,
        {{ columns.row_key }} as row_key,
        load_id,
        file_path,
        {{ columns.source_row_number }} as source_row_number,
        {{ columns.record_id }} as record_id,
        reject_reason,
        {{ columns.raw_record }} as raw_record
    from parsed
    where reject_reason is not null

)

select * from final
{%- endmacro %}

{#- `<load_id>:<column>`: the row key of a source whose rows are numbered within their load (a line, a CSV record). -#}
{% macro tl_load_row_key(column) -%}
    {{ dbt.concat([dbt.cast('load_id', api.Column.translate_type('string')), "':'",
        dbt.cast(column, api.Column.translate_type('string'))]) }}
{%- endmacro %}

{#-
  A source's deduplicated staging model, whole: `columns` of the copies stg_<name>__record_copies keeps
  (copy_rank 1: the latest-copy rule, tl_copy_rank), one row per record.
-#}
{% macro tl_latest_copies(source_name, columns) -%}
with

record_copies as (

    select * from {{ ref('stg_' ~ source_name ~ '__record_copies') }}

),

latest_copies as (

    select * from record_copies
    where copy_rank = 1

),

final as (

    select
        {{ columns | join(',\n        ') }}
    from latest_copies

)

select * from final
{%- endmacro %}
