{#-
  Participants and integer weights for every event attributed by a shared rule (basis shared_rule).
  Participants: the agent's split rows sharing the greatest effective_from <= the event date; if
  none, all teams existing and not merged away on that date. Weights by the rule's method:
  - even       1 each
  - headcount  the participant's headcount for the event's month (latest earlier month when missing)
  - usage      the participant's priced (effective) cost attributed by steps 1-4 in the same month, before any
               subsidy, in whole micro-dollars
  - fixed      percent, in ten-thousandths of a percent (percent * 10000)
  When every weight is 0 (or missing), shares are even. Blank fixed percents are a configuration
  error caught by a data test.
-#}
with

attributed as (

    select * from {{ ref('int_usage_events_attributed') }}

),

splits as (

    select * from {{ ref('stg_org__shared_agent_splits') }}

),

teams as (

    select * from {{ ref('stg_org__teams') }}

),

headcount as (

    select * from {{ ref('stg_org__team_headcount') }}

),

shared_events as (

    select * from attributed
    where basis = 'shared_rule'

),

split_versions as (

    select
        shared_events.event_key,
        max(splits.effective_from) as split_effective_from
    from shared_events
    inner join splits
        on shared_events.agent_id = splits.agent
            and shared_events.event_date >= splits.effective_from
    group by shared_events.event_key

),

listed_participants as (

    select
        shared_events.event_key,
        splits.team_id,
        splits.percent,
        split_versions.split_effective_from
    from shared_events
    inner join split_versions
        on shared_events.event_key = split_versions.event_key
    inner join splits
        on shared_events.agent_id = splits.agent
            and split_versions.split_effective_from = splits.effective_from

),

default_participants as (

    select
        shared_events.event_key,
        teams.team_id,
        cast(null as decimal(9, 4)) as percent,
        cast(null as date) as split_effective_from
    from shared_events
    cross join teams
    left join split_versions
        on shared_events.event_key = split_versions.event_key
    where split_versions.event_key is null
        -- merged away: merged_into set and merged_on on or before the date (a merge without a date: always)
        and (teams.merged_into is null or (teams.merged_on is not null and teams.merged_on > shared_events.event_date))

),

participants as (

    select * from listed_participants
    union all
    select * from default_participants

),

headcount_ranked as (

    select
        participants.event_key,
        participants.team_id,
        headcount.headcount,
        row_number() over (
            partition by participants.event_key, participants.team_id
            order by headcount.month desc
        ) as pick
    from participants
    inner join shared_events
        on participants.event_key = shared_events.event_key
    inner join headcount
        on participants.team_id = headcount.team_id
            and shared_events.month >= headcount.month
            and headcount.headcount is not null

),

direct_usage as (

    -- Priced cost attributed by steps 1-4, per team and month, before any subsidy.
    select
        month,
        team_id,
        cast(floor(sum(cost_usd) * 1000000) as bigint) as micro_usd
    from attributed
    where basis in ('tag', 'agent_owner', 'team_key', 'user_team')
        and cost_usd is not null
    group by month, team_id

),

weighted as (

    select
        participants.event_key,
        participants.team_id,
        participants.percent,
        participants.split_effective_from,
        shared_events.rule_method,
        case shared_events.rule_method
            when 'even' then 1
            when 'headcount' then coalesce(headcount_ranked.headcount, 0)
            when 'usage' then coalesce(direct_usage.micro_usd, 0)
            when 'fixed' then coalesce(cast(participants.percent * 10000 as bigint), 0)
            else 0
        end as method_weight
    from participants
    inner join shared_events
        on participants.event_key = shared_events.event_key
    left join headcount_ranked
        on participants.event_key = headcount_ranked.event_key
            and participants.team_id = headcount_ranked.team_id
            and headcount_ranked.pick = 1
    left join direct_usage
        on shared_events.month = direct_usage.month
            and participants.team_id = direct_usage.team_id

),

final as (

    select
        event_key,
        team_id,
        rule_method,
        percent,
        split_effective_from,
        method_weight,
        -- All weights 0: even shares.
        case
            when sum(method_weight) over (partition by event_key) = 0 then 1
            else method_weight
        end as weight
    from weighted

)

select * from final
