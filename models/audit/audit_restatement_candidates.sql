{{ config(alias='restatement_candidates') }}
{#-
  What would change a closed month: per closed month and team, the latest published line
  (marts.published_team_monthly_spend) against today's fct_team_monthly_spend, listed when the exact
  cost differs (late data, seed edits, a price refresh, a dedupe conflict resolved differently...).
  late_events counts the month's events landed after the publication (a hint at the cause). To
  publish the change, approve a restatement (org/restatements.csv); a warn test lists these rows.
-#}
with

published as (

    select * from {{ ref('published_team_monthly_spend') }}

),

monthly as (

    select * from {{ ref('fct_team_monthly_spend') }}

),

closed_months as (

    select * from {{ ref('stg_org__closed_months') }}

),

events as (

    select * from {{ ref('int_usage_events') }}

),

{{ tl_latest_publication('published', 'latest') }},

publication as (

    select
        month,
        publication_version,
        max(max_load_id) as max_load_id
    from latest
    group by month, publication_version

),

current_lines as (

    select monthly.*
    from monthly
    inner join publication
        on monthly.month = publication.month

),

late as (

    select
        events.month,
        count(*) as late_events
    from events
    inner join publication
        on events.month = publication.month
    where events.first_load_id > coalesce(publication.max_load_id, 0)
    group by events.month

),

compared as (

    select
        coalesce(latest.month, current_lines.month) as month,
        coalesce(latest.team_id, current_lines.team_id) as team_id,
        coalesce(latest.cost_usd, 0) as published_cost_usd,
        coalesce(latest.cost_cents, 0) as published_cents,
        coalesce(current_lines.cost_usd, 0) as current_cost_usd,
        coalesce(current_lines.cost_cents, 0) as current_cents
    from latest
    full outer join current_lines
        on latest.month = current_lines.month
            and latest.team_id = current_lines.team_id

),

final as (

    select
        {{ tl_key(['compared.month', 'compared.team_id']) }} as candidate_key,
        compared.month,
        compared.team_id,
        publication.publication_version as published_version,
        compared.published_cost_usd,
        compared.published_cents,
        compared.current_cost_usd,
        compared.current_cents,
        compared.current_cost_usd - compared.published_cost_usd as delta_usd,
        compared.current_cents - compared.published_cents as delta_cents,
        coalesce(late.late_events, 0) as late_events,
        closed_months.closed_on,
        closed_months.closed_by
    from compared
    inner join publication
        on compared.month = publication.month
    left join late
        on compared.month = late.month
    left join closed_months
        on compared.month = closed_months.month
    where compared.current_cost_usd <> compared.published_cost_usd

)

select * from final
