{#-
  Nothing is lost: per source, every landed record = attempt rows in events + duplicate copies +
  rejected rows + records set aside so a call counts once (audit.cross_source_duplicates) + OTel
  spans that report no usage. Records: a raw row for the gateway and the Jobs export; a parsed span
  or spend log (or an unreadable document) for OTel and LiteLLM, whose raw rows are whole documents.
  Returns the sources where the equation does not hold.
-#}
with

records as (
    select
        'gateway' as source,
        count(*) as n
    from {{ source('gateway', 'gateway_requests') }}
    union all
    select
        'jobs' as source,
        count(*) as n
    from {{ source('jobs', 'jobs_export') }}
    union all
    select
        'otel' as source,
        count(*) as n
    from {{ ref('base_otel__spans_parsed') }}
    union all
    select
        'litellm' as source,
        count(*) as n
    from {{ ref('base_litellm__spend_logs_parsed') }}
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
    select
        'otel' as source,
        count(*) as n
    from {{ ref('stg_otel__spans') }}
    where collapse_rule = 'no_usage'
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
