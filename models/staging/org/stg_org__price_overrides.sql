{#-
  Negotiated discounts (org/price_overrides.csv) off list price from a date on. A blank or `*`
  model_id is provider-wide (model_id NULL here). cost_factor = 1 - discount_pct / 100, exact at
  scale 6 (computed by multiplication, never DECIMAL / DECIMAL).
-#}
with

source as (

    select * from {{ ref('price_overrides') }}

),

typed as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('price_overrides'), 'provider', 'varchar')) }} as provider,
        nullif({{ tl_normalize_id(tl_seed_column(ref('price_overrides'), 'model_id', 'varchar')) }}, '*') as model_id,
        {{ tl_seed_column(ref('price_overrides'), 'effective_from', 'date') }} as effective_from,
        {{ tl_seed_column(ref('price_overrides'), 'discount_pct', 'decimal(9, 4)') }} as discount_pct
    from source

),

final as (

    select
        provider,
        model_id,
        effective_from,
        discount_pct,
        {{ tl_cost_factor('discount_pct') }} as cost_factor
    from typed

)

select * from final
