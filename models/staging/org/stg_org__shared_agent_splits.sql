{#- Participants of a shared agent's split (org/shared_agent_splits.csv); percent only for `fixed`. -#}
with

source as (

    select * from {{ ref('shared_agent_splits') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('shared_agent_splits'), 'agent', 'varchar')) }} as agent,
        {{ tl_normalize_id(tl_seed_column(ref('shared_agent_splits'), 'team_id', 'varchar')) }} as team_id,
        {{ tl_seed_column(ref('shared_agent_splits'), 'percent', 'decimal(9, 4)') }} as percent,
        coalesce({{ tl_seed_column(ref('shared_agent_splits'), 'effective_from', 'date') }}, cast('1900-01-01' as date)) as effective_from
    from source

)

select * from final
