{#- Type-2 agent ownership, published: int_agent_ownership_versioned ([valid_from, valid_to) per agent and period). -#}
with

final as (

    select * from {{ ref('int_agent_ownership_versioned') }}

)

-- the published copy: every column of the intermediate model, as documented in its yml
select * from final  -- noqa: AM04
