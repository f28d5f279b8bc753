{#- Closed months (org/closed_months.csv): month (YYYY-MM or a date in it), closed_on, closed_by. -#}
with

source as (

    select * from {{ ref('closed_months') }}

),

final as (

    select
        {{ tl_parse_month(tl_seed_column(ref('closed_months'), 'month', 'varchar')) }} as month,
        {{ tl_seed_column(ref('closed_months'), 'closed_on', 'date') }} as closed_on,
        trim({{ tl_seed_column(ref('closed_months'), 'closed_by', 'varchar') }}) as closed_by
    from source

)

select * from final
