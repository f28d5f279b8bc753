{{ config(alias='shared_logins') }}
{#-
  The double-count risk of one shared login, made visible, per month:
  - a personal key or a person used by agents of two or more teams (agents' owners in force), or
  - a personal key whose owner has no team in force.
  A kept table (macros/incremental/kept_tables.sql): rebuilt whole when what it reads changed, kept otherwise.
-#}
{{ tl_kept_table_config() }}
with

attributed as (

    select * from {{ ref('int_usage_events_attributed') }}

),

ownership as (

    select * from {{ ref('dim_agent_ownership') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

uses as (

    -- Each event's login (personal key, and person) with the owning team of its agent in force.
    select
        attributed.month,
        attributed.event_key,
        attributed.key_id,
        attributed.key_kind,
        attributed.person_email,
        attributed.event_date,
        ownership.team_id as agent_team_id
    from attributed
    left join ownership
        on attributed.agent_id = ownership.agent
            and {{ tl_in_force('attributed.event_date', 'ownership') }}

),

logins as (

    select
        month,
        'personal_key' as login_kind,
        key_id as login_id,
        event_key,
        agent_team_id,
        person_email,
        event_date
    from uses
    where key_kind = 'personal'

    union all

    select
        month,
        'person' as login_kind,
        person_email as login_id,
        event_key,
        agent_team_id,
        person_email,
        event_date
    from uses
    where person_email is not null

),

multi_team as (

    select
        month,
        login_kind,
        login_id,
        'used_by_agents_of_several_teams' as reason,
        count(distinct agent_team_id) as agent_teams,
        count(distinct event_key) as events
    from logins
    group by month, login_kind, login_id
    having count(distinct agent_team_id) >= 2

),

ownerless_keys as (

    select
        logins.month,
        logins.login_kind,
        logins.login_id,
        'personal_key_owner_without_team' as reason,
        count(distinct logins.agent_team_id) as agent_teams,
        count(distinct logins.event_key) as events
    from logins
    left join people
        on logins.person_email = people.email
            and {{ tl_in_force('logins.event_date', 'people') }}
    where logins.login_kind = 'personal_key'
        and people.team_id is null
    group by logins.month, logins.login_kind, logins.login_id

),

unioned as (

    select * from multi_team
    union all
    select * from ownerless_keys

),

final as (

    select
        {{ dbt.concat(['login_kind', "':'", 'login_id', "':'", dbt.cast('month', api.Column.translate_type('string')), "':'", 'reason']) }}
            as shared_login_key,
        *
    from unioned

)

select * from final
{{ tl_no_rows_when_kept() }}
