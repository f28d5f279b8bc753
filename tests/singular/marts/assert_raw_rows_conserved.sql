{#-
  Nothing is lost: per registered source (tl_usage_sources), every landed record = attempt rows in
  events + duplicate copies + rejected rows + records set aside so a call counts once
  (audit.cross_source_duplicates) + records that are not calls (OTel spans that report no usage).
  Records: the registry's `records` (a raw row for the gateway and the Jobs export; a parsed span or
  spend log, or an unreadable document, for OTel and LiteLLM, whose raw rows are whole documents),
  loads taken out of the ledger by `tokenledger unload` excepted.
  Returns the sources where the equation does not hold.
-#}
with

records as (
    {%- for src in tl_usage_sources() %}
        select
            '{{ src.name }}' as source,
            count(*) as n
        from {{ tl_registry_relation(src.records) }}
        where load_id not in ({{ tl_unloaded_load_ids() }})
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

event_attempts as (
    select
        source,
        sum(attempts) as n
    from {{ ref('fct_usage_events') }}
    group by 1
),

duplicates as (
    select
        source,
        count(*) as n
    from {{ ref('audit_duplicate_records') }}
    group by 1
),

rejected as (
    select
        source,
        count(*) as n
    from {{ ref('audit_rejected_rows') }}
    group by 1
),

collapsed as (
    select
        source,
        count(*) as n
    from {{ ref('audit_cross_source_duplicates') }}
    group by 1
),

without_usage as (
    -- records that are not calls (registry key not_calls), e.g. OTel spans that report no usage
    select
        cast(null as {{ dbt.type_string() }}) as source,
        0 as n
    {%- for src in tl_usage_sources() if src.not_calls %}
        union all
        select
            '{{ src.name }}' as source,
            count(*) as n
        from {{ ref(src.not_calls[0]) }}
        where {{ src.not_calls[1] }}
    {%- endfor %}
),

compared as (
    select
        records.source,
        records.n as records,
        coalesce(event_attempts.n, 0) as event_attempts,
        coalesce(duplicates.n, 0) as duplicates,
        coalesce(rejected.n, 0) as rejected,
        coalesce(collapsed.n, 0) as collapsed,
        coalesce(without_usage.n, 0) as without_usage
    from records
    left join event_attempts on records.source = event_attempts.source
    left join duplicates on records.source = duplicates.source
    left join rejected on records.source = rejected.source
    left join collapsed on records.source = collapsed.source
    left join without_usage on records.source = without_usage.source
)

select * from compared
where records <> event_attempts + duplicates + rejected + collapsed + without_usage
