{#- People (org/people.csv): a person's team from effective_from on. Missing effective_from = always. -#}
with

source as (

    select * from {{ ref('people') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('people'), 'email', 'varchar')) }} as email,
        {{ tl_normalize_id(tl_seed_column(ref('people'), 'team_id', 'varchar')) }} as team_id,
        coalesce({{ tl_seed_column(ref('people'), 'effective_from', 'date') }}, cast('1900-01-01' as date)) as effective_from
    from source

)

select * from final
