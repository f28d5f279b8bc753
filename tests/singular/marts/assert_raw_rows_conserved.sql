{#-
  Nothing is lost: per source, landed raw rows = attempt rows in events + collapsed duplicates +
  rejected rows. Returns the sources where the equation does not hold.
-#}
with

raw_rows as (
    select
        'gateway' as source,
        count(*) as n
    from {{ source('gateway', 'gateway_requests') }}
    union all
    select
        'jobs' as source,
        count(*) as n
    from {{ source('jobs', 'jobs_export') }}
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

compared as (
    select
        raw_rows.source,
        raw_rows.n as raw_rows,
        coalesce(event_attempts.n, 0) as event_attempts,
        coalesce(duplicates.n, 0) as duplicates,
        coalesce(rejected.n, 0) as rejected
    from raw_rows
    left join event_attempts on raw_rows.source = event_attempts.source
    left join duplicates on raw_rows.source = duplicates.source
    left join rejected on raw_rows.source = rejected.source
)

select * from compared
where raw_rows <> event_attempts + duplicates + rejected
