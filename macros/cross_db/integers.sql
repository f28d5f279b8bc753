{#-
  Exact integer arithmetic for allocations. Shares are exact ratios of integer weights computed
  with integer division (never DECIMAL / DECIMAL, which DuckDB turns into DOUBLE).
-#}

{#- A wide exact integer type (weights times 10^12 stay below 10^38). -#}
{% macro tl_wide_int_type() -%}
    {{ return(adapter.dispatch('tl_wide_int_type', 'tokenledger')()) }}
{%- endmacro %}

{% macro duckdb__tl_wide_int_type() -%}hugeint{%- endmacro %}

{% macro default__tl_wide_int_type() -%}numeric(38, 0){%- endmacro %}

{% macro spark__tl_wide_int_type() -%}decimal(38, 0){%- endmacro %}

{#- Floor division of two non-negative integers. -#}
{% macro tl_int_div(numerator, denominator) -%}
    {{ return(adapter.dispatch('tl_int_div', 'tokenledger')(numerator, denominator)) }}
{%- endmacro %}

{% macro duckdb__tl_int_div(numerator, denominator) -%}
    (cast({{ numerator }} as hugeint) // cast({{ denominator }} as hugeint))
{%- endmacro %}

{#-
  Spark has no wide integer division: `div` returns a bigint, and decimal(38, 0) / decimal(38, 0) has
  no integer digits left without precision loss. The quotient is estimated in double precision, refined
  once from the exact remainder, and corrected by one (remainders are exact decimal(38, 0) arithmetic), so
  the result is the exact floor for any non-negative operands below 10^38.
-#}
{% macro spark__tl_int_div(numerator, denominator) -%}
    {%- set n = 'cast(' ~ numerator ~ ' as decimal(38, 0))' -%}
    {%- set d = 'cast(' ~ denominator ~ ' as decimal(38, 0))' -%}
    {%- set q0 = 'cast(floor(cast(' ~ n ~ ' as double) / cast(' ~ d ~ ' as double)) as decimal(38, 0))' -%}
    {%- set q1 = '(' ~ q0 ~ ' + cast(floor(cast(' ~ n ~ ' - ' ~ q0 ~ ' * ' ~ d ~ ' as double) / cast(' ~ d ~ ' as double)) as decimal(38, 0)))' -%}
    {%- set r1 = '(' ~ n ~ ' - ' ~ q1 ~ ' * ' ~ d ~ ')' -%}
    (aggregate(
        sequence(1, 2), named_struct('q', {{ q1 }}, 'r', {{ r1 }}),
        (acc, i) -> case
            when acc.r < 0 then named_struct('q', acc.q - 1, 'r', acc.r + {{ d }})
            when acc.r >= {{ d }} then named_struct('q', acc.q + 1, 'r', acc.r - {{ d }})
            else acc
        end,
        acc -> acc.q
    ))
{%- endmacro %}

{% macro default__tl_int_div(numerator, denominator) -%}
    div(cast({{ numerator }} as numeric(38, 0)), cast({{ denominator }} as numeric(38, 0)))
{%- endmacro %}

{#-
  weight / total_weight as an exact decimal(38, 12), rounded down to 1e-12 (the remainder is given to
  one participant by the caller so that shares sum to exactly 1).
-#}
{% macro tl_share_floor(weight, total_weight) -%}
    cast(
        cast({{ tl_int_div('cast(' ~ weight ~ ' as ' ~ tl_wide_int_type() ~ ') * 1000000000000', total_weight) }} as decimal(38, 0))
        * cast(0.000000000001 as decimal(13, 12))
        as decimal(38, 12)
    )
{%- endmacro %}

{#-
  (numerator / denominator) x 100 for two money expressions, as decimal(38, 4) truncated toward zero:
  each side is taken in whole pico-dollars (1e-12, ample for amounts of any size up to 1e14) and
  divided as integers. NULL when the denominator is 0.
-#}
{% macro tl_money_percent(numerator, denominator) -%}
    {%- set pico = "cast(floor(cast(__amount__ as decimal(38, 12)) * 1000000000000) as " ~ tl_wide_int_type() ~ ")" -%}
    {{ tl_percent(pico | replace('__amount__', '(' ~ numerator ~ ')'), pico | replace('__amount__', '(' ~ denominator ~ ')')) }}
{%- endmacro %}

{#-
  numerator / denominator x 100 as decimal(38, 4), truncated toward zero, from two integer
  expressions (e.g. micro-dollars): integer division only, never floats. NULL when the denominator is 0.
-#}
{% macro tl_percent(numerator, denominator) -%}
    case
        when ({{ denominator }}) <> 0
            then cast(
                    cast(
                        sign({{ numerator }}) * sign({{ denominator }})
                        * {{ tl_int_div('abs(' ~ numerator ~ ') * 1000000', 'abs(' ~ denominator ~ ')') }}
                        as decimal(38, 0)
                    ) * cast(0.0001 as decimal(5, 4)) as decimal(38, 4)
                )
    end
{%- endmacro %}

{#-
  A non-negative money amount divided by a positive count (events, runs, thousands of tokens) as an
  exact decimal(38, 12), rounded down to 1e-12: the amount in whole pico-dollars divided as integers.
  NULL when the count is 0 or NULL.
-#}
{% macro tl_money_per(amount, count) -%}
    case
        when ({{ count }}) > 0
            then cast(
                    cast({{ tl_int_div(
                        'cast(floor(cast(' ~ amount ~ ' as decimal(38, 12)) * 1000000000000) as ' ~ tl_wide_int_type() ~ ')',
                        count
                    ) }} as decimal(38, 0))
                    * cast(0.000000000001 as decimal(13, 12))
                    as decimal(38, 12)
                )
    end
{%- endmacro %}
