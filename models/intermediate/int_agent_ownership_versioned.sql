{#-
  Type-2 agent ownership from org/agent_directory.csv: one row per agent and effective period,
  [valid_from, valid_to) with no gaps or overlaps. team_id NULL = a shared agent (blank in the directory).
  Events join it as of their UTC date.
-#}
with

directory as (

    select * from {{ ref('stg_org__agent_directory') }}

),

final as (

    {{ tl_versioned('directory', 'agent', 'agent_ownership_key', ['team_id', 'team_id is null as is_shared']) }}

)

select * from final
