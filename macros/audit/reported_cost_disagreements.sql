{#-
  The rule shared by the audits that compare a producer's own cost with ours (audit.litellm_cost_disagreements,
  audit.otel_cost_disagreements): a select over `relation` (a CTE with reported_cost_usd, list_cost_usd and
  difference_usd = reported - list) adding difference_pct (of our price, 4 decimals; NULL when our price
  is 0) and keeping the rows further apart than `tolerance_pct` percent of our price, or apart at all
  when our price is 0.
-#}
{% macro tl_reported_cost_disagreements(relation, tolerance_pct) -%}
    select
        *,
        case
            when list_cost_usd = 0 then null
            else cast({{ tl_money_percent('difference_usd', 'list_cost_usd') }} as decimal(18, 4))
        end as difference_pct
    from {{ relation }}
    where abs(difference_usd) * 100 > list_cost_usd * {{ tolerance_pct }}
        or (list_cost_usd = 0 and difference_usd <> 0)
{%- endmacro %}

{#-
  The per-attempt columns a producer's own disagreement audit (audit.litellm_cost_disagreements,
  audit.otel_cost_disagreements) keeps from audit.reported_cost_disagreements: all but source,
  attempt_id and tolerance_pct, in the generic audit's order, less `omit`, each qualified by
  `relation` when given, as one select list.
-#}
{% macro tl_source_disagreement_columns(relation=none, omit=[]) -%}
    {%- set columns = [
        'attempt_key', 'occurred_at', 'provider', 'model_id', 'model_requested',
        'uncached_input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'output_tokens',
        'reasoning_tokens', 'reported_cost_usd', 'list_cost_usd', 'difference_usd', 'difference_pct',
    ] -%}
    {%- for column in columns if column not in omit %}
        {% if relation %}{{ relation }}.{% endif %}{{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
