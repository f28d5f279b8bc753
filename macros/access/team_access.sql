{#-
  Per-team read access on engines with roles (Postgres). Two group roles, created on every run:
  - tokenledger_analyst: reads every row of the marts (dbt `grants`);
  - tokenledger_team_reader: reads the team-facing marts (dbt `grants`), but only its own team's rows
    (row-level security). A team's login role is tl_engine.team_role_name(team_id): "team_<team_id>"
    when that fits Postgres's 63-byte names, else "teamh_<md5 of the team id>" (never truncated, so two
    ids never share a role, and the two forms never meet: "team_" vs "teamh"). One per team in dim_teams,
    created NOLOGIN by tl_sync_team_roles (an administrator gives it LOGIN and a password), a member of
    tokenledger_team_reader, and recorded in tl_engine.team_roles (role -> team). The policy compares
    the mart's team column with tl_engine.current_team_id(), the team of the session's role.
  A mart is team-facing when its config has meta.team_column (the column that names the team). Its
  meta.team_hidden_columns (org-wide totals, other participants' weights) are not granted to team
  readers: those marts grant tokenledger_team_reader the other columns only (column privileges), and
  their `grants` config names tokenledger_analyst alone.
  DuckDB has no roles: every macro here is a no-op there (the file is the access boundary).
-#}

{#- The group roles of the grants config; empty on engines without roles, so dbt does not warn. -#}
{% macro tl_reader_roles(team_facing=false) -%}
    {%- if target.type != 'postgres' -%}
        {{ return([]) }}
    {%- elif team_facing -%}
        {{ return(['tokenledger_analyst', 'tokenledger_team_reader']) }}
    {%- else -%}
        {{ return(['tokenledger_analyst']) }}
    {%- endif -%}
{%- endmacro %}

{% macro tl_create_reader_roles() -%}
    {{ return(adapter.dispatch('tl_create_reader_roles', 'tokenledger')()) }}
{%- endmacro %}

{% macro default__tl_create_reader_roles() -%}{%- endmacro %}

{% macro postgres__tl_create_reader_roles() -%}
    do $roles$
    begin
        if not exists (select from pg_roles where rolname = 'tokenledger_analyst') then
            create role tokenledger_analyst nologin;
        end if;
        if not exists (select from pg_roles where rolname = 'tokenledger_team_reader') then
            create role tokenledger_team_reader nologin;
        end if;
    end
    $roles$;
    create table if not exists tl_engine.team_roles (
        role_name text primary key,
        team_id text not null unique
    );
    create or replace function tl_engine.team_role_name(team_id text) returns text
    language sql immutable parallel safe as $fn$
        select case
            when octet_length('team_' || team_id) <= 63 then 'team_' || team_id
            else 'teamh_' || md5(team_id)
        end
    $fn$;
    create or replace function tl_engine.current_team_id() returns text
    language sql stable parallel safe as $fn$
        select team_id from tl_engine.team_roles where role_name = current_user
    $fn$;
    grant usage on schema tl_engine to tokenledger_analyst, tokenledger_team_reader;
    grant select on tl_engine.team_roles to tokenledger_analyst, tokenledger_team_reader;
    grant execute on function tl_engine.current_team_id(), tl_engine.team_role_name(text)
        to tokenledger_analyst, tokenledger_team_reader;
{%- endmacro %}

{#- Post-hook of every mart: row-level security on the team-facing ones (meta.team_column). -#}
{% macro tl_team_row_security() -%}
    {{ return(adapter.dispatch('tl_team_row_security', 'tokenledger')()) }}
{%- endmacro %}

{% macro default__tl_team_row_security() -%}{%- endmacro %}

{% macro postgres__tl_team_row_security() -%}
    {%- set team_column = (model.config.meta or {}).get('team_column') if execute else none -%}
    {%- if not execute -%}
    {%- elif team_column and model.config.materialized in ('table', 'incremental') %}
    alter table {{ this }} enable row level security;
    drop policy if exists tl_analyst_reads_all on {{ this }};
    create policy tl_analyst_reads_all on {{ this }} for select to tokenledger_analyst using (true);
    drop policy if exists tl_team_reads_own_rows on {{ this }};
    create policy tl_team_reads_own_rows on {{ this }} for select to tokenledger_team_reader
        using ({{ adapter.quote(team_column) }} = tl_engine.current_team_id());
    {%- set hidden = (model.config.meta or {}).get('team_hidden_columns') or [] %}
    {%- if hidden %}
    {%- set visible = [] %}
    {%- for column in adapter.get_columns_in_relation(this) if column.name not in hidden %}
        {%- do visible.append(adapter.quote(column.name)) %}
    {%- endfor %}
    revoke select on {{ this }} from tokenledger_team_reader;
    grant select ({{ visible | join(', ') }}) on {{ this }} to tokenledger_team_reader;
    {%- endif %}
    {%- endif %}
{%- endmacro %}

{#- Post-hook of dim_teams: a NOLOGIN role tl_engine.team_role_name(team_id) in tokenledger_team_reader for every team. -#}
{% macro tl_sync_team_roles() -%}
    {{ return(adapter.dispatch('tl_sync_team_roles', 'tokenledger')()) }}
{%- endmacro %}

{% macro default__tl_sync_team_roles() -%}{%- endmacro %}

{% macro postgres__tl_sync_team_roles() -%}
    do $roles$
    declare
        team record;
    begin
        for team in
            select distinct team_id, tl_engine.team_role_name(team_id) as role_name
            from {{ this }} where team_id is not null
        loop
            if not exists (select from pg_roles where rolname = team.role_name) then
                execute format('create role %I nologin', team.role_name);
            end if;
            execute format('grant tokenledger_team_reader to %I', team.role_name);
            insert into tl_engine.team_roles (role_name, team_id) values (team.role_name, team.team_id)
            on conflict (role_name) do update set team_id = excluded.team_id;
        end loop;
    end
    $roles$;
{%- endmacro %}

{#-
  on-run-end: the readers may use the marts schema (once per run: concurrent GRANTs on one schema from
  dbt's threads collide in the catalog). Table-level grants come from the models' `grants` config.
-#}
{% macro tl_grant_marts_usage() -%}
    {{ return(adapter.dispatch('tl_grant_marts_usage', 'tokenledger')()) }}
{%- endmacro %}

{% macro default__tl_grant_marts_usage() -%}{%- endmacro %}

{% macro postgres__tl_grant_marts_usage() -%}
    do $grants$
    begin
        if exists (select from pg_namespace where nspname = 'marts') then
            grant usage on schema marts to tokenledger_analyst, tokenledger_team_reader;
        end if;
    end
    $grants$;
{%- endmacro %}
