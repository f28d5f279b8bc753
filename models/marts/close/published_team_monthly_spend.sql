{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false, on_schema_change='append_new_columns') }}
{#-
  Month close. Closing a month (org/closed_months.csv) publishes its per-team lines from
  fct_team_monthly_spend as publication_version 1; each approved restatement (org/restatements.csv)
  publishes the month again as the next version, with its reason, in the order the restatements were
  made: a restatement is published once (known by month, reason, approver and date), and one that
  appears after others gets the next version even when its date is earlier. Append-only: a version once
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

requested as (

    -- What the organisation asked to publish: the close, then each approved restatement.
    select
        month,
        0 as request_seq,
        'close' as publication_kind,
        cast(null as {{ api.Column.translate_type('string') }}) as reason,
        cast(null as {{ api.Column.translate_type('string') }}) as approved_by,
        cast(null as date) as restated_on
    from closed_months

    union all

    select
        restatements.month,
        restatements.restatement_seq as request_seq,
        'restatement' as publication_kind,
        restatements.reason,
        restatements.approved_by,
        restatements.restated_on
    from restatements
    inner join closed_months
        on restatements.month = closed_months.month

),

{%- if is_incremental() %}
{#- Warehouses published before restated_on was recorded: those versions match on reason and approver. -#}
{%- set published_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}

published as (

    select distinct
        month,
        publication_version,
        publication_kind,
        reason,
        approved_by,
        {% if 'restated_on' in published_columns -%} restated_on {%- else -%} cast(null as date) as restated_on {%- endif %}
    from {{ this }}

),

{%- endif %}

pending as (

    -- A request is published once: a restatement is known by its month, reason, approver and date
    -- (whatever its position in the seed), so one added later with an earlier date is new, not a
    -- re-run of the version published before it.
    select requested.*
    from requested
    {%- if is_incremental() %}
        where not exists (
            select 1
            from published
            where published.month = requested.month
                and published.publication_kind = requested.publication_kind
                and (
                    requested.publication_kind = 'close'
                    or (
                        published.reason is not distinct from requested.reason
                        and published.approved_by is not distinct from requested.approved_by
                        and (published.restated_on is null or published.restated_on = requested.restated_on)
                    )
                )
        )
    {%- endif %}

),

versions as (

    -- Versions in the order the requests were made: after every version already published.
    select
        pending.*,
        {%- if is_incremental() %}
            coalesce(
                (select max(published.publication_version) from published where published.month = pending.month), 0
            )
        {%- else %}
            0
        {%- endif %}
        + row_number() over (partition by pending.month order by pending.request_seq) as publication_version
    from pending

),

final as (

    select
        {{ tl_key(['monthly.month', 'versions.publication_version', 'monthly.team_id']) }} as publication_key,
        monthly.month,
        versions.publication_version,
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
        versions.publication_kind,
        closed_months.closed_on,
        closed_months.closed_by,
        versions.reason,
        versions.approved_by,
        versions.restated_on,
        (select max(load_manifest.load_id) from load_manifest) as max_load_id,
        cast({{ dbt.current_timestamp() }} as timestamp) as published_at,
        -- last: a column added after the first publications (append_new_columns: NULL on those rows)
        monthly.list_cost_cents
    from versions
    inner join closed_months
        on versions.month = closed_months.month
    inner join monthly
        on versions.month = monthly.month

)

select * from final
