{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
{#-
  Month close. Closing a month (seeds/closed_months.csv) publishes its per-team lines from
  fct_team_monthly_spend as publication_version 1; each approved restatement (seeds/restatements.csv)
  publishes the month again as the next version, with its reason. Append-only: a version once
  published is never updated or deleted by later builds — not even by `dbt build --full-refresh`
  (full_refresh: false); the history of versions stays queryable. The current version of a month is
  its highest publication_version (is_latest is not stored: it would have to change).
  Anything that would change a published month since shows in audit.restatement_candidates.
-#}
with

monthly as (

    select * from {{ ref('fct_team_monthly_spend') }}

),

closed_months as (

    select * from {{ ref('stg_org__closed_months') }}

),

restatements as (

    select * from {{ ref('stg_org__restatements') }}

),

load_manifest as (

    select * from {{ ref('stg_ingest__load_manifest') }}

),

versions as (

    select
        month,
        1 as publication_version,
        'close' as publication_kind,
        cast(null as {{ api.Column.translate_type('string') }}) as reason,
        cast(null as {{ api.Column.translate_type('string') }}) as approved_by
    from closed_months

    union all

    select
        restatements.month,
        restatements.publication_version,
        'restatement' as publication_kind,
        restatements.reason,
        restatements.approved_by
    from restatements
    inner join closed_months
        on restatements.month = closed_months.month

),

pending as (

    select versions.*
    from versions
    {%- if is_incremental() %}
        where not exists (
            select 1
            from {{ this }} as published
            where published.month = versions.month
                and published.publication_version = versions.publication_version
        )
    {%- endif %}

),

final as (

    select
        {{ tl_key(['monthly.month', 'pending.publication_version', 'monthly.team_id']) }} as publication_key,
        monthly.month,
        pending.publication_version,
        monthly.team_id,
        monthly.rollup_team_id,
        monthly.cost_usd,
        monthly.cost_cents,
        monthly.list_cost_usd,
        monthly.events,
        monthly.cost_high_usd,
        monthly.cost_medium_usd,
        monthly.cost_low_usd,
        monthly.unpriced_events,
        pending.publication_kind,
        closed_months.closed_on,
        closed_months.closed_by,
        pending.reason,
        pending.approved_by,
        (select max(load_manifest.load_id) from load_manifest) as max_load_id,
        cast({{ dbt.current_timestamp() }} as timestamp) as published_at
    from pending
    inner join closed_months
        on pending.month = closed_months.month
    inner join monthly
        on pending.month = monthly.month

)

select * from final
