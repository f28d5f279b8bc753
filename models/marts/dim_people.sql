{#- Type-2 team membership, published: int_people_versioned ([valid_from, valid_to) per person). -#}
with

final as (

    select * from {{ ref('int_people_versioned') }}

)

-- the published copy: every column of the intermediate model, as documented in its yml
select * from final  -- noqa: AM04
