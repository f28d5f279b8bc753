{#-
  Team benchmarks: per month, team and scope, what the team's AI work costs per unit, and the same
  figure for the comparable work of other teams. Scopes: `team` (all the team's work; scope_id its
  peer group from org/teams.csv, `all` when blank), `agent` (the team's events of one agent) and
  `workflow` (the Jobs export's workflow). Every figure is the team's allocated part
  (fct_cost_allocations): cost by share, tokens by share rounded down per event, an event shared
  among teams counts as one event on each. A run is a Jobs event; it succeeded when one of its
  attempts did not fail. Retry waste is the effective cost of billed failures and superseded
  retries (int_savings_scenarios, retries_failures). Money per unit is exact (decimal(38, 12),
  rounded down); shares are percent (decimal(38, 4), truncated). Peers: the other teams with the
  same scope that month (a team with no peer group: every other team); peer_median_* is the median of their figures (the mean of the two middle
  ones for an even count), ratio_to_peer_median this team's figure over it ("2.1" = pays 2.1x).
  Rebuilt a month at a time (tl_month_report_config).
-#}
{{ tl_month_report_config() }}
{%- set row_keys = ['month', 'team_id', 'scope_kind', 'scope_id'] -%}

with

allocations as (

    select * from {{ ref('fct_cost_allocations') }}
    where {{ tl_pending_months_filter() }}

),

events as (

    select * from {{ ref('fct_usage_events') }}
    where {{ tl_pending_months_filter() }}

),

scenarios as (

    select * from {{ ref('int_savings_scenarios') }}
    where opportunity = 'retries_failures'
        and {{ tl_pending_months_filter() }}

),

jobs as (

    select * from {{ ref('stg_jobs__jobs') }}

),

teams as (

    select * from {{ ref('stg_org__teams') }}

),

retry_waste as (

    select
        event_key,
        sum(saving_usd) as waste_usd
    from scenarios
    group by event_key

),

workflows as (

    select distinct
        job_id,
        workflow
    from jobs
    where workflow is not null

),

allocated as (

    -- Each team's part of each event, with the event's facts.
    select
        allocations.month,
        allocations.team_id,
        allocations.event_key,
        events.agent,
        workflows.workflow,
        coalesce(teams.peer_group, 'all') as peer_group,
        events.model_id,
        allocations.allocated_cost_usd as cost_usd,
        allocations.allocated_list_cost_usd as list_cost_usd,
        cast(floor((events.input_tokens + events.output_tokens) * allocations.share) as bigint) as tokens,
        cast(floor(events.input_tokens * allocations.share) as bigint) as input_tokens,
        cast(floor(events.cache_read_tokens * allocations.share) as bigint) as cache_read_tokens,
        case when events.source = 'jobs' then 1 else 0 end as runs,
        case when events.source = 'jobs' and events.failed_attempts < events.attempts then 1 else 0 end as successful_runs,
        {{ tl_scale_money('coalesce(retry_waste.waste_usd, 0)', 'allocations.share') }} as retry_waste_usd
    from allocations
    inner join events
        on allocations.event_key = events.event_key
    left join workflows
        on events.source = 'jobs'
            and events.event_id = workflows.job_id
    left join teams
        on allocations.team_id = teams.team_id
    left join retry_waste
        on allocations.event_key = retry_waste.event_key
    where allocations.allocated_cost_usd is not null

),

scoped as (

    select
        'team' as scope_kind,
        allocated.peer_group as scope_id,
        allocated.*
    from allocated

    union all

    select
        'agent' as scope_kind,
        allocated.agent as scope_id,
        allocated.*
    from allocated
    where allocated.agent is not null

    union all

    select
        'workflow' as scope_kind,
        allocated.workflow as scope_id,
        allocated.*
    from allocated
    where allocated.workflow is not null

),

model_mix as (

    -- The scope's largest model by cost (then the lowest model id) and its share of the cost.
    select
        month,
        team_id,
        scope_kind,
        scope_id,
        model_id as top_model_id,
        model_cost_usd as top_model_cost_usd
    from (
        select
            month,
            team_id,
            scope_kind,
            scope_id,
            coalesce(model_id, '(unknown)') as model_id,
            sum(cost_usd) as model_cost_usd,
            row_number() over (
                partition by month, team_id, scope_kind, scope_id
                order by sum(cost_usd) desc, coalesce(model_id, '(unknown)')
            ) as pick
        from scoped
        group by month, team_id, scope_kind, scope_id, coalesce(model_id, '(unknown)')
    ) as ranked
    where pick = 1

),

grouped as (

    select
        month,
        team_id,
        scope_kind,
        scope_id,
        count(distinct event_key) as events,
        sum(cost_usd) as cost_usd,
        sum(list_cost_usd) as list_cost_usd,
        sum(tokens) as tokens,
        sum(input_tokens) as input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(runs) as runs,
        sum(successful_runs) as successful_runs,
        sum(case when runs = 1 then cost_usd else 0 end) as run_cost_usd,
        sum(retry_waste_usd) as retry_waste_usd
    from scoped
    group by month, team_id, scope_kind, scope_id

),

measured as (

    select
        grouped.*,
        {{ tl_money_per('grouped.cost_usd', 'grouped.events') }} as cost_per_event_usd,
        {{ tl_money_per('grouped.cost_usd * 1000', 'grouped.tokens') }} as cost_per_1k_tokens_usd,
        {{ tl_money_per('grouped.run_cost_usd', 'grouped.successful_runs') }} as cost_per_successful_run_usd,
        {{ tl_percent('grouped.cache_read_tokens', 'grouped.input_tokens') }} as cache_read_pct,
        {{ tl_money_percent('grouped.retry_waste_usd', 'grouped.cost_usd') }} as retry_waste_pct,
        model_mix.top_model_id,
        {{ tl_money_percent('model_mix.top_model_cost_usd', 'grouped.cost_usd') }} as top_model_pct
    from grouped
    inner join model_mix
        on {{ tl_same_keys('grouped', 'model_mix', row_keys) }}

),

peer_figures as (

    -- Each row's peers (the other teams of the same scope and month), ranked by each figure.
    select
        measured.month,
        measured.team_id,
        measured.scope_kind,
        measured.scope_id,
        peers.team_id as peer_team_id,
        peers.cost_per_event_usd as peer_cost_per_event_usd,
        peers.cost_per_successful_run_usd as peer_cost_per_run_usd,
        row_number() over (
            partition by measured.month, measured.team_id, measured.scope_kind, measured.scope_id
            order by peers.cost_per_event_usd, peers.team_id
        ) as event_rank,
        count(*) over (
            partition by measured.month, measured.team_id, measured.scope_kind, measured.scope_id
        ) as peer_teams,
        row_number() over (
            partition by measured.month, measured.team_id, measured.scope_kind, measured.scope_id
            order by
                case when peers.cost_per_successful_run_usd is null then 1 else 0 end,
                peers.cost_per_successful_run_usd, peers.team_id
        ) as run_rank,
        count(peers.cost_per_successful_run_usd) over (
            partition by measured.month, measured.team_id, measured.scope_kind, measured.scope_id
        ) as run_peers
    from measured
    inner join measured as peers
        on measured.month = peers.month
            and measured.scope_kind = peers.scope_kind
            and (measured.scope_id = peers.scope_id or (measured.scope_kind = 'team' and measured.scope_id = 'all'))
            and measured.team_id <> peers.team_id
            and peers.team_id <> 'unattributed'

),

peer_medians as (

    -- The peers' medians, exact (the mean of the two middle values for an even count).
    select
        month,
        team_id,
        scope_kind,
        scope_id,
        max(peer_teams) as peer_teams,
        min(peer_cost_per_event_usd) as peer_min_cost_per_event_usd,
        {{ tl_exact_median('peer_cost_per_event_usd', 'event_rank', 'peer_teams') }} as peer_median_cost_per_event_usd,
        max(run_peers) as run_peer_teams,
        {{ tl_exact_median('peer_cost_per_run_usd', 'run_rank', 'run_peers') }} as peer_median_cost_per_successful_run_usd
    from peer_figures
    group by month, team_id, scope_kind, scope_id

),

final as (

    select
        measured.month,
        measured.team_id,
        measured.scope_kind,
        measured.scope_id,
        measured.events,
        measured.cost_usd,
        measured.list_cost_usd,
        measured.tokens,
        measured.cost_per_event_usd,
        measured.cost_per_1k_tokens_usd,
        measured.runs,
        measured.successful_runs,
        measured.cost_per_successful_run_usd,
        measured.cache_read_pct,
        measured.retry_waste_usd,
        measured.retry_waste_pct,
        measured.top_model_id,
        measured.top_model_pct,
        coalesce(peer_medians.peer_teams, 0) as peer_teams,
        peer_medians.peer_min_cost_per_event_usd,
        cast(peer_medians.peer_median_cost_per_event_usd as decimal(38, 12)) as peer_median_cost_per_event_usd,
        cast(
            {{ tl_money_percent('measured.cost_per_event_usd', 'peer_medians.peer_median_cost_per_event_usd') }}
            * cast(0.01 as decimal(3, 2)) as decimal(38, 6)
        ) as ratio_to_peer_median,
        cast(peer_medians.peer_median_cost_per_successful_run_usd as decimal(38, 12)) as peer_median_cost_per_successful_run_usd,
        cast(
            {{ tl_money_percent('measured.cost_per_successful_run_usd', 'peer_medians.peer_median_cost_per_successful_run_usd') }}
            * cast(0.01 as decimal(3, 2)) as decimal(38, 6)
        ) as run_ratio_to_peer_median
    from measured
    left join peer_medians
        on {{ tl_same_keys('measured', 'peer_medians', row_keys) }}

)

select * from final
