{#-
  Every valid, deduplicated attempt from every registered source (tl_usage_sources) in one canonical
  shape: each source's stg_<source>__attempts.
  An attempt belongs to the logical event of its first attempt. retry_of should name the first
  attempt; when it names another retry instead, the chain is followed (up to {{ 8 }} links) to its
  root, so a chain A <- B <- C is one event keyed by A. A root missing from the data keys the event
  by its id all the same.
  A kept table (macros/incremental/kept_tables.sql): rebuilt whole when what it reads changed, kept otherwise.
-#}
{{ tl_kept_table_config() }}
{%- set max_chain = 8 -%}
with

all_sources as (

    -- Every registered source's attempts in the conformed contract (macros/staging/usage_sources.sql).
    {{- tl_union_attempts() }}

),

unioned as (

    -- The same call reaching the ledger through two sources counts once (int_usage_attempts_matched).
    select all_sources.*
    from all_sources
    left join {{ ref('int_usage_attempts_matched') }} as set_aside
        on all_sources.source = set_aside.source
            and all_sources.attempt_id = set_aside.attempt_id
    where set_aside.attempt_id is null

),

retries as (

    select
        source,
        attempt_id,
        retry_of
    from unioned
    where retry_of is not null

),

roots as (

    -- Follow retry_of through other retries to the chain's root (bounded, portable: no recursion).
    select
        r0.source,
        r0.attempt_id,
        coalesce(
            {%- for i in range(max_chain, 0, -1) %}
                r{{ i - 1 }}.retry_of{% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as root_id
    from retries as r0
        {%- for i in range(1, max_chain) %}
        left join retries as r{{ i }}
            on r{{ i - 1 }}.source = r{{ i }}.source
                and r{{ i - 1 }}.retry_of = r{{ i }}.attempt_id
                and r{{ i - 1 }}.retry_of <> r{{ i - 1 }}.attempt_id
            {%- endfor %}

),

linked as (

    select
        unioned.*,
        coalesce(roots.root_id, unioned.attempt_id) as event_id
    from unioned
    left join roots
        on unioned.source = roots.source
            and unioned.attempt_id = roots.attempt_id

),

sequenced as (

    select
        {{ dbt.concat(['source', "':'", 'attempt_id']) }} as attempt_key,
        {{ dbt.concat(['source', "':'", 'event_id']) }} as event_key,
        *,
        -- First attempt first: the event's own id, then attempt number, then time.
        row_number() over (
            partition by source, event_id
            order by
                case when attempt_id = event_id then 0 else 1 end,
                coalesce(attempt_number, 1),
                occurred_at,
                attempt_id
        ) as attempt_seq,
        uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens as input_tokens
    from linked

),

final as (

    -- The event's month and UTC date are its first attempt's (what fct_usage_events reports); the incremental
    -- facts reprocess whole event days (event months on Spark), so every attempt carries both, and its checksum
    -- term (macros/incremental/day_facts.sql): a day's sum moves when an attempt lands, leaves or moves.
    select
        *,
        max(case when attempt_seq = 1 then {{ tl_month('occurred_at') }} end) over (partition by event_key) as event_month,
        max(case when attempt_seq = 1 then cast(occurred_at as date) end) over (partition by event_key) as event_date,
        {{ tl_hash_number(['attempt_key', 'event_key', 'attempt_seq', 'load_id']) }} as attempts_checksum
    from sequenced

)

select * from final
{{ tl_no_rows_when_kept() }}
