{#- Provider invoice totals per month (org/provider_invoices.csv); month is YYYY-MM or any date in the month. -#}
with

source as (

    select * from {{ ref('provider_invoices') }}

),

typed as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('provider_invoices'), 'provider', 'varchar')) }} as provider,
        {{ tl_parse_month(tl_seed_column(ref('provider_invoices'), 'month', 'varchar')) }} as month,
        {{ tl_seed_column(ref('provider_invoices'), 'invoiced_usd', 'decimal(18, 6)') }} as invoiced_usd
    from source

),

final as (

    select
        provider,
        month,
        invoiced_usd
    from typed

)

select * from final
