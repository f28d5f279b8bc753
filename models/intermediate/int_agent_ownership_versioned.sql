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

    select
        {{ dbt.concat(['agent', "'@'", dbt.cast('effective_from', api.Column.translate_type('string'))]) }} as agent_ownership_key,
        agent,
        team_id,
        team_id is null as is_shared,
        effective_from as valid_from,
        {{ tl_valid_to('agent') }} as valid_to,
        {{ tl_valid_to('agent') }} is null as is_current
    from directory

)

select * from final
