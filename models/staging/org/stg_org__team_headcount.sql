{#- Headcount per team and month (org/team_headcount.csv), for headcount-weighted splits. -#}
with

source as (

    select * from {{ ref('team_headcount') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('team_headcount'), 'team_id', 'varchar')) }} as team_id,
        {{ tl_month(tl_seed_column(ref('team_headcount'), 'month', 'date')) }} as month,
        {{ tl_seed_column(ref('team_headcount'), 'headcount', 'integer') }} as headcount
    from source

)

select * from final
