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
