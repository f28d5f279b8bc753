{{ tl_event_fact_config('int_usage_events') }}
{#-
  The attribution spine: which team pays for each event, first match wins, as of the event's UTC date.
  1. tag          the event's team tag names a team in teams.csv (merged teams included)     HIGH
  2. agent_owner  the event's agent has a non-blank owner in force                           HIGH
  3. team_key     the event's api_key_id is a team key                                       HIGH
  4. user_team    the person (owner of a personal key, else the event's user_email) has a
                  team in force; no fallback from a key's owner to the event's email        MEDIUM
  5. shared_rule  the agent has a shared rule in force: split among participants (see
                  int_shared_agent_splits)                                                   LOW
  6. unattributed                                                                            UNATTRIBUTED
  Ids compare case-insensitively after trimming. One row per event.
-#}
{#- The event's columns every step carries: name -> expression over int_usage_events. -#}
{%- set event_columns = {
    'event_key': 'event_key',
    'event_id': 'event_id',
    'source': 'source',
    'occurred_at': 'occurred_at',
    'month': 'month',
    'event_date': 'cast(occurred_at as date)',
    'list_cost_usd': 'list_cost_usd',
    'cost_usd': 'cost_usd',
    'last_load_id': 'last_load_id',
    'config_fingerprint': 'config_fingerprint',
    'attempts_checksum': 'attempts_checksum',
    'environment': 'environment',
    'tag_team_id': tl_normalize_id('tag_team'),
    'agent_id': tl_normalize_id('agent'),
    'key_id': tl_normalize_id('api_key_id'),
} -%}
with

events as (

    select * from {{ ref('int_usage_events') }}
    where {{ tl_reprocess_days_filter(ref('int_usage_events'), 'month', 'last_load_id', 'last_load_id') }}

),

teams as (

    select * from {{ ref('stg_org__teams') }}

),

agent_ownership as (

    select * from {{ ref('int_agent_ownership_versioned') }}

),

api_keys as (

    select * from {{ ref('stg_org__api_keys') }}

),

people as (

    select * from {{ ref('int_people_versioned') }}

),

rules as (

    select * from {{ ref('int_shared_agent_rules_versioned') }}

),

normalized as (

    select
        {%- for name, expression in event_columns.items() %}
            {{ expression }}{% if expression != name %} as {{ name }}{% endif %},
        {%- endfor %}
        {{ tl_normalize_id('user_email') }} as event_email
    from events

),

looked_up as (

    select
        normalized.*,
        tag_teams.team_id as tag_match_team_id,
        agent_ownership.team_id as agent_owner_team_id,
        agent_ownership.agent is not null as agent_in_directory,
        api_keys.key_kind,
        case when api_keys.key_kind = 'team' then api_keys.team_id end as team_key_team_id,
        case
            when api_keys.key_kind = 'personal' then api_keys.owner_email
            else normalized.event_email
        end as person_email
    from normalized
    left join teams as tag_teams
        on normalized.tag_team_id = tag_teams.team_id
    left join agent_ownership
        on normalized.agent_id = agent_ownership.agent
            and {{ tl_in_force('normalized.event_date', 'agent_ownership') }}
    left join api_keys
        on normalized.key_id = api_keys.api_key_id

),

with_person as (

    select
        looked_up.*,
        people.team_id as person_team_id,
        rules.method as rule_method,
        rules.valid_from as rule_effective_from
    from looked_up
    left join people
        on looked_up.person_email = people.email
            and {{ tl_in_force('looked_up.event_date', 'people') }}
    left join rules
        on looked_up.agent_id = rules.agent
            and {{ tl_in_force('looked_up.event_date', 'rules') }}

),

final as (

    select
        {%- for name in event_columns %}
            {{ name }},
        {%- endfor %}
        key_kind,
        person_email,
        agent_in_directory,
        case
            when tag_match_team_id is not null then 'tag'
            when agent_owner_team_id is not null then 'agent_owner'
            when team_key_team_id is not null then 'team_key'
            when person_team_id is not null then 'user_team'
            when rule_method is not null then 'shared_rule'
            else 'unattributed'
        end as basis,
        case
            when tag_match_team_id is not null then tag_match_team_id
            when agent_owner_team_id is not null then agent_owner_team_id
            when team_key_team_id is not null then team_key_team_id
            when person_team_id is not null then person_team_id
            when rule_method is not null then null
            else 'unattributed'
        end as team_id,
        case
            when tag_match_team_id is not null or agent_owner_team_id is not null or team_key_team_id is not null then 'HIGH'
            when person_team_id is not null then 'MEDIUM'
            when rule_method is not null then 'LOW'
            else 'UNATTRIBUTED'
        end as confidence,
        case
            when tag_match_team_id is null and agent_owner_team_id is null and team_key_team_id is null
                and person_team_id is null then rule_method
        end as rule_method,
        case
            when tag_match_team_id is null and agent_owner_team_id is null and team_key_team_id is null
                and person_team_id is null and rule_method is not null then rule_effective_from
        end as rule_effective_from
    from with_person

)

select * from final
{{ tl_month_clustered('event_date') }}
