{#-
  Token-count validation shared by the staging models of every source. Each takes the list of
  columns holding token counts as text (NULL = not reported) and returns a boolean expression.
-#}

{#- Some reported count is not an integer literal (e.g. '12k', 'many', '1.5'). -#}
{% macro tl_any_non_integer(text_columns) -%}
    ({%- for col in text_columns %}
        ({{ col }} is not null and not {{ tl_is_integer_text(col) }}){% if not loop.last %} or{% endif %}
    {%- endfor %}
    )
{%- endmacro %}

{#- Some reported count is a negative integer. Negative zero ('-0', '-00') is zero, on every source and engine. -#}
{% macro tl_any_negative(text_columns) -%}
    ({%- for col in text_columns %}
        ({{ tl_is_integer_text(col) }} and trim({{ col }}) like '-%' and trim(leading '-0' from trim({{ col }})) <> ''){% if not loop.last %} or{% endif %}
    {%- endfor %}
    )
{%- endmacro %}

{#- Some reported count exceeds var('max_tokens_per_request') (too long to be a number counts too). -#}
{% macro tl_any_over_max(text_columns) -%}
    ({%- for col in text_columns %}
        case
            when not {{ tl_is_integer_text(col) }} then false
            when length(trim({{ col }})) > 30 then true
            else {{ tl_try_cast('trim(' ~ col ~ ')', 'decimal(38, 0)') }} > {{ var('max_tokens_per_request') | int }}
        end{% if not loop.last %} or{% endif %}
    {%- endfor %}
    )
{%- endmacro %}

{#- A validated count as bigint, 0 when not reported. Only use on rows that passed the checks. -#}
{% macro tl_token_count(text_col) -%}
    coalesce({{ tl_try_cast('case when ' ~ tl_is_integer_text(text_col) ~ ' then trim(' ~ text_col ~ ') end', 'bigint') }}, 0)
{%- endmacro %}

{#- The text holds a NUL character (an id that only differs from another by a NUL must not make a distinct event).
    Postgres text cannot hold NUL at all (the ingest refuses such files there), so it is false there. -#}
{% macro tl_has_nul(text_expr) -%}
    {{ return(adapter.dispatch('tl_has_nul', 'tokenledger')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__tl_has_nul(text_expr) -%}
    coalesce(strpos({{ text_expr }}, chr(0)) > 0, false)
{%- endmacro %}

{% macro spark__tl_has_nul(text_expr) -%}
    coalesce(instr({{ text_expr }}, char(0)) > 0, false)
{%- endmacro %}

{% macro default__tl_has_nul(text_expr) -%}
    false
{%- endmacro %}

{#-
  The shared token checks of a base parser, as two CTEs over `relation`: `checked` (+ has_non_integer_tokens,
  has_negative_tokens, has_tokens_over_max over `token_columns`, the token counts as text) and `counted`
  (+ n_<column>, the count as an integer when `count_when` holds, else 0; a `tok_` prefix is dropped from
  the name). The reject reasons are then judged from these flags.
-#}
{% macro tl_checked_token_counts(relation, token_columns, count_when='has_usage') -%}
checked as (

    select
        *,
        {{ tl_any_non_integer(token_columns) }} as has_non_integer_tokens,
        {{ tl_any_negative(token_columns) }} as has_negative_tokens,
        {{ tl_any_over_max(token_columns) }} as has_tokens_over_max
    from {{ relation }}

),

counted as (

    select
        *,
        {%- for col in token_columns %}
            case when {{ count_when }} then {{ tl_token_count(col) }} else 0 end
            as n_{{ col[4:] if col.startswith('tok_') else col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from checked

)
{%- endmacro %}

{#-
  The token-count reject reasons of a base parser, in their order, as `when ... then ...` branches of
  its reject_reason case (after tl_checked_token_counts' flags): non_numeric_tokens, negative_tokens,
  tokens_over_max, each only when `guard` holds (none: always).
-#}
{% macro tl_token_rejects(guard='has_usage') -%}
    {%- set prefix = guard ~ ' and ' if guard else '' -%}
    when {{ prefix }}has_non_integer_tokens then 'non_numeric_tokens'
            when {{ prefix }}has_negative_tokens then 'negative_tokens'
            when {{ prefix }}has_tokens_over_max then 'tokens_over_max'
{%- endmacro %}

{#-
  The timestamp reject reasons of a base parser, in their order, as `when ... then ...` branches of its
  reject_reason case: invalid_timestamp (`column` NULL: absent or unparseable), then
  implausible_timestamp (tl_implausible_timestamp).
-#}
{% macro tl_timestamp_rejects(column='occurred_at') -%}
    when {{ column }} is null then 'invalid_timestamp'
            when {{ tl_implausible_timestamp(column) }} then 'implausible_timestamp'
{%- endmacro %}
