{#-
  Per-team read access on engines with roles (Postgres). Two group roles, created on every run:
  - tokenledger_analyst: reads every row of the marts (dbt `grants`);
  - tokenledger_team_reader: reads the team-facing marts (dbt `grants`), but only its own team's rows
    (row-level security). A team's login role is "team_<team_id>" (one per team in dim_teams, created
    NOLOGIN by tl_sync_team_roles; an administrator gives it LOGIN and a password), a member of
    tokenledger_team_reader. The policy compares the mart's team column with tl_engine.current_team_id(),
    the team named by the session's role.
  A mart is team-facing when its config has meta.team_column (the column that names the team).
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
    create or replace function tl_engine.current_team_id() returns text
    language sql stable parallel safe as $fn$
        select case when current_user like 'team\_%' then substr(current_user, 6) end
    $fn$;
    grant usage on schema tl_engine to tokenledger_analyst, tokenledger_team_reader;
    grant execute on function tl_engine.current_team_id() to tokenledger_analyst, tokenledger_team_reader;
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
    {%- endif %}
{%- endmacro %}

{#- Post-hook of dim_teams: a NOLOGIN role "team_<team_id>" in tokenledger_team_reader for every team. -#}
{% macro tl_sync_team_roles() -%}
    {{ return(adapter.dispatch('tl_sync_team_roles', 'tokenledger')()) }}
{%- endmacro %}

{% macro default__tl_sync_team_roles() -%}{%- endmacro %}

{% macro postgres__tl_sync_team_roles() -%}
    do $roles$
    declare
        team record;
    begin
        for team in select distinct team_id from {{ this }} where team_id is not null loop
            if not exists (select from pg_roles where rolname = 'team_' || team.team_id) then
                execute format('create role %I nologin', 'team_' || team.team_id);
            end if;
            execute format('grant tokenledger_team_reader to %I', 'team_' || team.team_id);
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
