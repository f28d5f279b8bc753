{#-
  Report-level attribution: the providers' billed cost per month x team, through
  org/team_aliases.csv (an OpenAI project_id or an Anthropic workspace_id mapped to a team). A
  cost row whose project / workspace has no alias, or none at all, goes to 'unattributed'. A coarse
  cross-check of the request-level allocation (fct_team_monthly_spend), not a replacement: provider
  reports know projects and workspaces, not agents or people.
-#}
with

costs as (

    select * from {{ ref('fct_provider_costs_daily') }}

),

aliases as (

    select * from {{ ref('stg_org__team_aliases') }}

),

attributed as (

    select
        costs.provider,
        {{ tl_month('costs.cost_date') }} as month,
        coalesce(aliases.team_id, 'unattributed') as team_id,
        costs.billed_usd,
        costs.scope_id
    from costs
    left join aliases
        on costs.provider = aliases.source
            and costs.scope_id = aliases.external_id

),

monthly as (

    select
        provider,
        month,
        team_id,
        count(distinct scope_id) as scopes,
        cast(sum(billed_usd) as decimal(38, 14)) as billed_usd
    from attributed
    group by 1, 2, 3

),

final as (

    select
        {{ tl_key(['provider', 'month', 'team_id']) }} as provider_team_month_key,
        *
    from monthly

)

select * from final
