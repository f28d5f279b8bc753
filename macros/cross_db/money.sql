{#-
  Exact money. Catalog prices carry up to 18 decimals per million tokens (refresh_prices.py refuses
  more), so a price per token has at most 24 decimals and tokens x price-per-token is exact in
  decimal(38, 24): 14 integer digits ($100 trillion) is ample for any sum. Never divide decimals
  (DuckDB turns DECIMAL / DECIMAL into DOUBLE): scale by multiplying with exact decimal constants.
-#}
{% macro tl_money_type() -%}decimal(38, 24){%- endmacro %}

{% macro tl_price_type() -%}decimal(38, 18){%- endmacro %}

{#- A price per `per_units` units times a count, exactly: count * price * (1 / per_units). -#}
{% macro tl_cost(count_expr, price_expr, per_units) -%}
    {%- if per_units == 1000000 -%}
        cast(({{ count_expr }}) * ({{ price_expr }}) * cast(0.000001 as decimal(7, 6)) as {{ tl_money_type() }})
    {%- elif per_units == 1000 -%}
        cast(({{ count_expr }}) * ({{ price_expr }}) * cast(0.001 as decimal(4, 3)) as {{ tl_money_type() }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("tl_cost: unsupported per_units " ~ per_units) }}
    {%- endif -%}
{%- endmacro %}

{#-
  money x factor (0 <= factor, e.g. a share or a discount factor), exact to 1e-24 within 38 digits:
  the amount's part at 1e-12 times the factor is exact; the residue (|r| < 1e-12) times the factor
  is computed at a higher scale and rounded to 24.
-#}
{% macro tl_scale_money(money_expr, factor_expr) -%}
    cast(
        cast({{ money_expr }} as decimal(26, 12)) * {{ factor_expr }}
        + cast(cast({{ money_expr }} - cast({{ money_expr }} as decimal(26, 12)) as decimal(26, 24)) * {{ factor_expr }} as {{ tl_money_type() }})
        as {{ tl_money_type() }}
    )
{%- endmacro %}
