{#- How a shared agent's cost is split (org/shared_agent_rules.csv): even, headcount, usage or fixed. -#}
with

source as (

    select * from {{ ref('shared_agent_rules') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('shared_agent_rules'), 'agent', 'varchar')) }} as agent,
        {{ tl_normalize_id(tl_seed_column(ref('shared_agent_rules'), 'method', 'varchar')) }} as method,
        coalesce({{ tl_seed_column(ref('shared_agent_rules'), 'effective_from', 'date') }}, cast('1900-01-01' as date)) as effective_from
    from source

)

select * from final
