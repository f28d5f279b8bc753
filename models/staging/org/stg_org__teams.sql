{#-
  Teams (org/teams.csv). Ids are trimmed and lower-cased; merged_into / merged_on /
  peer_group are optional columns.
-#}
with

source as (

    select * from {{ ref('teams') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('teams'), 'team_id', 'varchar')) }} as team_id,
        nullif(trim({{ tl_seed_column(ref('teams'), 'team_name', 'varchar') }}), '') as team_name,
        nullif(trim({{ tl_seed_column(ref('teams'), 'cost_center', 'varchar') }}), '') as cost_center,
        {{ tl_normalize_id(tl_seed_column(ref('teams'), 'merged_into', 'varchar')) }} as merged_into,
        {{ tl_seed_column(ref('teams'), 'merged_on', 'date') }} as merged_on,
        {{ tl_normalize_id(tl_seed_column(ref('teams'), 'peer_group', 'varchar')) }} as peer_group
    from source

)

select * from final
