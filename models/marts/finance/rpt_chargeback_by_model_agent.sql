{#-
  Chargeback breakdown: month x team x provider x model x agent, from the allocations (after
  subsidy, effective cost). cost_usd sums exactly to the team's fct_team_monthly_spend.cost_usd and
  cost_cents (largest remainder within the team line) to its cost_cents. driver_rank orders a team's
  month by cost (1 = the largest driver). Unknown models and events without an agent show as
  '(unknown)' / '(no agent)'.
-#}
{%- set dimensions = {
    'provider': "coalesce(events.provider, '(unknown)')",
    'model_id': "coalesce(events.model_id, '(unknown)')",
    'agent': "coalesce(events.agent, '(no agent)')",
} -%}
with

allocations as (

    select * from {{ ref('fct_cost_allocations') }}

),

events as (

    select * from {{ ref('fct_usage_events') }}

),

monthly as (

    select * from {{ ref('fct_team_monthly_spend') }}

),

{{ tl_chargeback_breakdown(dimensions) }},

final as (

    select
        {{ tl_key(['month', 'team_id', 'provider', 'model_id', 'agent']) }} as breakdown_key,
        month,
        team_id,
        provider,
        model_id,
        agent,
        cost_usd,
        cost_cents,
        list_cost_usd,
        list_cost_cents,
        events,
        unpriced_events,
        row_number() over (partition by month, team_id order by cost_usd desc, provider asc, model_id asc, agent asc) as driver_rank
    from breakdown

)

select * from final
