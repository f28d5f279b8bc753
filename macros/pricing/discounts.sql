{#- The exact cost factor of a discount percent: 1 - pct / 100 at scale 6 (by multiplication, never DECIMAL / DECIMAL). -#}
{% macro tl_cost_factor(discount_pct_expr) -%}
    cast(cast(1 as decimal(12, 6)) - {{ discount_pct_expr }} * cast(0.01 as decimal(3, 2)) as decimal(12, 6))
{%- endmacro %}

{#-
  The negotiated discounts' periods: a select over `overrides` (stg_org__price_overrides, as a CTE
  name) giving provider, model_id (NULL = provider-wide), discount_pct, cost_factor and the period
  [valid_from, valid_to) of each row (in force until the next row of the same provider and model).
  Read by the ledger (int_usage_events) and by the what-if repricing (int_savings_scenarios).
-#}
{% macro tl_price_override_periods(overrides) -%}
    select
        provider,
        model_id,
        discount_pct,
        cost_factor,
        effective_from as valid_from,
        {{ tl_valid_to('provider, model_id') }} as valid_to
    from {{ overrides }}
{%- endmacro %}
