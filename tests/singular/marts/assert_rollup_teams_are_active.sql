{#- Merge chains end at an active team (catches cycles and chains deeper than dim_teams follows). -#}
select
    teams.team_id,
    teams.rollup_team_id
from {{ ref('dim_teams') }} as teams
inner join {{ ref('dim_teams') }} as rollup_teams
    on teams.rollup_team_id = rollup_teams.team_id
where not rollup_teams.is_active
