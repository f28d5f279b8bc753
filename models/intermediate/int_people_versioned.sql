{#- Type-2 team membership from org/people.csv: [valid_from, valid_to) per person, no gaps or overlaps. -#}
with

people as (

    select * from {{ ref('stg_org__people') }}

),

final as (

    {{ tl_versioned('people', 'email', 'person_key', ['team_id']) }}

)

select * from final
