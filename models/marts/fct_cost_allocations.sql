{#-
  Who pays for each event: one row per (event, team, beneficiary). Events attributed by steps 1-4
  or left unattributed have one row (share 1); shared-rule events one row per participant.
  Shares are exact decimals (1e-12) and allocated costs exact (decimal(38, 24)): every participant
  but one gets floor-rounded amounts and the participant with the largest weight (then the lowest
  team_id) takes the remainder, so shares sum to exactly 1 and allocations to exactly the event's
  cost. The effective cost (after negotiated discounts) is what is allocated; the list cost is
  allocated alongside by the same shares for reference. Unpriced events keep their shares with a NULL allocated cost.
  Opt-in subsidy: events in var('subsidized_environments') go to var('central_team_id') with basis
  `subsidy`, keeping the team that would have paid as beneficiary_team_id.
-#}
{{ tl_month_fact_config('int_usage_events_attributed') }}
{%- set subsidized = var('subsidized_environments', []) -%}
{%- set central_team = var('central_team_id', none) -%}
{%- if subsidized is string -%}{%- set subsidized = [subsidized] -%}{%- endif -%}
{%- if subsidized | length > 0 and not central_team -%}
    {{ exceptions.raise_compiler_error(
        "Configuration error: var('subsidized_environments') is set to " ~ subsidized ~
        " but var('central_team_id') is not. Set central_team_id to the team that pays for subsidised environments."
    ) }}
{%- endif -%}

with

attributed as (

    select * from {{ ref('int_usage_events_attributed') }}
    where {{ tl_reprocess_months_filter(ref('int_usage_events_attributed'), 'month', 'last_load_id', 'last_load_id') }}

),

shared_splits as (

    select * from {{ ref('int_shared_agent_splits') }}

),

participants as (

    select
        event_key,
        team_id,
        1 as weight,
        cast(null as {{ api.Column.translate_type('string') }}) as rule_method_override
    from attributed
    where basis <> 'shared_rule'

    union all

    select
        event_key,
        team_id,
        weight,
        rule_method as rule_method_override
    from shared_splits

),

weighted as (

    select
        participants.event_key,
        participants.team_id,
        participants.weight,
        attributed.event_id,
        attributed.month,
        attributed.occurred_at,
        attributed.source,
        attributed.basis,
        attributed.confidence,
        attributed.rule_method,
        attributed.rule_effective_from,
        attributed.environment,
        attributed.cost_usd,
        attributed.list_cost_usd,
        attributed.last_load_id,
        attributed.config_fingerprint,
        sum(participants.weight) over (partition by participants.event_key) as total_weight,
        row_number() over (
            partition by participants.event_key
            order by participants.weight desc, participants.team_id asc
        ) as remainder_rank
    from participants
    inner join attributed
        on participants.event_key = attributed.event_key

),

floored as (

    select
        *,
        {{ tl_share_floor('weight', 'total_weight') }} as share_floor
    from weighted

),

allocated as (

    select
        *,
        {{ tl_scale_money('cost_usd', 'share_floor') }} as allocated_floor,
        {{ tl_scale_money('list_cost_usd', 'share_floor') }} as allocated_list_floor
    from floored

),

balanced as (

    select
        *,
        {%- for name, total, floor in [
            ('share', 'cast(1 as decimal(38, 12))', 'share_floor'),
            ('allocated_cost_usd', 'cost_usd', 'allocated_floor'),
            ('allocated_list_cost_usd', 'list_cost_usd', 'allocated_list_floor'),
        ] %}
            case
                when remainder_rank = 1
                    then {{ total }}
                        - coalesce(sum(case when remainder_rank > 1 then {{ floor }} end) over (partition by event_key), 0)
                else {{ floor }}
            end as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from allocated

),

subsidised as (

    select
        *,
        {%- if subsidized %}
        lower(trim(environment)) in ('{{ subsidized | map("trim") | map("lower") | join("', '") }}') as is_subsidised
        {%- else %}
            false as is_subsidised
        {%- endif %}
    from balanced

),

paying as (

    select
        *,
        case when is_subsidised then {{ "'" ~ (central_team | trim | lower) ~ "'" if subsidized else 'null' }} else team_id end
            as paying_team_id,
        case when is_subsidised then team_id end as beneficiary_team_id
    from subsidised

),

final as (

    select
        {{ dbt.concat(['event_key', "'|'", 'paying_team_id', "'|'", "coalesce(beneficiary_team_id, '')"]) }} as allocation_key,
        event_key,
        event_id,
        paying_team_id as team_id,
        share,
        allocated_cost_usd,
        case when is_subsidised then 'subsidy' else basis end as basis,
        confidence,
        rule_method,
        rule_effective_from,
        beneficiary_team_id,
        basis as attribution_basis,
        month,
        occurred_at,
        source,
        weight,
        total_weight,
        cost_usd as event_cost_usd,
        allocated_list_cost_usd,
        list_cost_usd as event_list_cost_usd,
        last_load_id,
        config_fingerprint
    from paying

)

select * from final
{{ tl_month_clustered() }}
