{#- Agent ownership (org/agent_directory.csv): blank team_id = a shared agent. Missing effective_from = always. -#}
with

source as (

    select * from {{ ref('agent_directory') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('agent_directory'), 'agent', 'varchar')) }} as agent,
        {{ tl_normalize_id(tl_seed_column(ref('agent_directory'), 'team_id', 'varchar')) }} as team_id,
        coalesce({{ tl_seed_column(ref('agent_directory'), 'effective_from', 'date') }}, cast('1900-01-01' as date)) as effective_from
    from source

)

select * from final
