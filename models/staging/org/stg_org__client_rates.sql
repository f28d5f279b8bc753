{#-
  What an agency bills each customer (org/client_rates.csv) from a date on: cost plus markup_pct,
  or a fixed rate_per_million_tokens when that (optional) column is set. billing_method says which.
-#}
with

source as (

    select * from {{ ref('client_rates') }}

),

typed as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('client_rates'), 'customer', 'varchar')) }} as customer,
        {{ tl_seed_column(ref('client_rates'), 'effective_from', 'date') }} as effective_from,
        {{ tl_seed_column(ref('client_rates'), 'markup_pct', 'decimal(9, 4)') }} as markup_pct,
        {{ tl_seed_column(ref('client_rates'), 'rate_per_million_tokens', 'decimal(18, 6)') }} as rate_per_million_tokens
    from source

),

final as (

    select
        customer,
        effective_from,
        markup_pct,
        rate_per_million_tokens,
        case
            when rate_per_million_tokens is not null then 'token_rate'
            when markup_pct is not null then 'markup'
            else 'at_cost'
        end as billing_method
    from typed

)

select * from final
