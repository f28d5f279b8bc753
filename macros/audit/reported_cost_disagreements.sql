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
