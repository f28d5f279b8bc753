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
  no integer digits left without precision loss. Long division by estimates instead: each step takes
  the remainder's quotient estimated in double precision, shrunk below the true floor (a margin of 1e-15,
  more than a double's error, then half a unit), at least 1 while the remainder is at least the
  denominator, and subtracts it exactly in decimal(38, 0); the quotient never overshoots, so nothing
  overflows, and six steps reach the exact floor for any non-negative operands below 10^38.
-#}
{% macro spark__tl_int_div(numerator, denominator) -%}
    {%- set d = 'cast(' ~ denominator ~ ' as decimal(38, 0))' -%}
    {%- set step = 'cast(greatest(cast(acc.r as double) / cast(' ~ d ~ ' as double) * 0.999999999999999 - 0.5, 1) as decimal(38, 0))' -%}
    (aggregate(
        sequence(1, 6),
        named_struct('q', cast(0 as decimal(38, 0)), 'r', cast({{ numerator }} as decimal(38, 0))),
        (acc, i) -> case
            when acc.r >= {{ d }} then named_struct('q', acc.q + {{ step }}, 'r', acc.r - {{ step }} * {{ d }})
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
