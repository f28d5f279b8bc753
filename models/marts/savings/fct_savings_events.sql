{{ tl_month_fact_config('int_savings_scenarios', drop_reprocessed=true) }}
{#-
  The events behind each savings opportunity, per paying team: one row per (event, team,
  opportunity, opportunity_key) with a positive saving. An event's saving (int_savings_scenarios) is
  allocated by the team's share of the event (fct_cost_allocations), exactly (tl_scale_money); the
  what-if cost is the allocated baseline less the allocated saving, so the two tie. A rule limited
  to one team (scope_team_id) counts only that team's share. The cache rule counts only for a team
  whose cache-read share of that model's input that month (its events' tokens, whole) is below the
  target. The as_billed control and requests the catalog cannot price on the what-if side are left
  out. Rules overlap (batch and a model alternative can both apply to one event): their savings do
  not add up. Incremental by month with the scenarios it allocates (every rule is evaluated within one
  month): the months int_savings_scenarios rebuilt since, and no other.
-#}
with

scenarios as (

    select * from {{ ref('int_savings_scenarios') }}
    where {{ tl_reprocess_months_filter(ref('int_savings_scenarios'), 'month', 'last_load_id', 'last_load_id') }}

),

allocations as (

    select * from {{ ref('fct_cost_allocations') }}
    where month in (select scenarios.month from scenarios)

),

team_cache_shares as (

    -- Each team's cache-read and total input tokens per model and month, over its events as billed.
    select
        allocations.month,
        allocations.team_id,
        scenarios.provider,
        scenarios.model_id,
        sum(scenarios.cache_read_tokens) as cache_read_tokens,
        sum(scenarios.input_tokens) as input_tokens
    from scenarios
    inner join allocations
        on scenarios.event_key = allocations.event_key
    where scenarios.opportunity = 'as_billed'
    group by allocations.month, allocations.team_id, scenarios.provider, scenarios.model_id

),

allocated as (

    select
        scenarios.event_key,
        scenarios.event_id,
        scenarios.month,
        scenarios.occurred_at,
        allocations.team_id,
        scenarios.opportunity,
        scenarios.opportunity_key,
        scenarios.agent,
        scenarios.provider,
        scenarios.model_id,
        scenarios.whatif_provider_id,
        scenarios.whatif_model_id,
        scenarios.requests,
        allocations.share,
        scenarios.baseline_cost_factor,
        scenarios.whatif_cost_factor,
        scenarios.cache_target_share,
        scenarios.saving_usd as event_saving_usd,
        scenarios.last_load_id,
        scenarios.config_fingerprint,
        {{ tl_scale_money('scenarios.baseline_cost_usd', 'allocations.share') }} as baseline_cost_usd,
        {{ tl_scale_money('scenarios.saving_usd', 'allocations.share') }} as saving_usd,
        {{ tl_scale_money('scenarios.baseline_list_cost_usd', 'allocations.share') }} as baseline_list_cost_usd,
        {{ tl_scale_money('scenarios.saving_list_usd', 'allocations.share') }} as saving_list_usd
    from scenarios
    inner join allocations
        on scenarios.event_key = allocations.event_key
            and (scenarios.scope_team_id is null or scenarios.scope_team_id = allocations.team_id)
    left join team_cache_shares
        on scenarios.opportunity = 'cache'
            and allocations.month = team_cache_shares.month
            and allocations.team_id = team_cache_shares.team_id
            and scenarios.provider = team_cache_shares.provider
            and scenarios.model_id = team_cache_shares.model_id
    where scenarios.opportunity <> 'as_billed'
        and scenarios.whatif_list_cost_usd is not null
        and scenarios.saving_usd > 0
        and (
            scenarios.opportunity <> 'cache'
            or team_cache_shares.cache_read_tokens < team_cache_shares.input_tokens * scenarios.cache_target_share
        )

),

final as (

    select
        {{ dbt.concat(['event_key', "'|'", 'team_id', "'|'", 'opportunity', "'|'", 'opportunity_key']) }} as savings_key,
        event_key,
        event_id,
        month,
        occurred_at,
        team_id,
        opportunity,
        opportunity_key,
        agent,
        provider,
        model_id,
        whatif_provider_id,
        whatif_model_id,
        requests,
        share,
        baseline_cost_factor,
        whatif_cost_factor,
        cache_target_share,
        baseline_cost_usd,
        baseline_cost_usd - saving_usd as whatif_cost_usd,
        saving_usd,
        baseline_list_cost_usd,
        saving_list_usd,
        event_saving_usd,
        last_load_id,
        config_fingerprint
    from allocated

)

select * from final
{{ tl_month_clustered() }}
