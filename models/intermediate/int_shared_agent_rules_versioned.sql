{#- Shared-agent rules as periods: [valid_from, valid_to) per agent, the method in force. -#}
with

rules as (

    select * from {{ ref('stg_org__shared_agent_rules') }}

),

final as (

    select
        agent,
        method,
        effective_from as valid_from,
        {{ tl_valid_to('agent') }} as valid_to
    from rules

)

select * from final
