{#- Type-2 team membership from org/people.csv: [valid_from, valid_to) per person, no gaps or overlaps. -#}
with

people as (

    select * from {{ ref('stg_org__people') }}

),

final as (

    select
        {{ dbt.concat(['email', "'@'", dbt.cast('effective_from', api.Column.translate_type('string'))]) }} as person_key,
        email,
        team_id,
        effective_from as valid_from,
        {{ tl_valid_to('email') }} as valid_to,
        {{ tl_valid_to('email') }} is null as is_current
    from people

)

select * from final
