{#-
  Effective dating, shared by the type-2 dimensions and every as-of join.
  A row with effective_from applies from that date until the next row of the same key.
-#}

{#- The exclusive end of an effective-dated row: the next effective_from of the same key (NULL while current). -#}
{% macro tl_valid_to(key, effective_from='effective_from') -%}
    lead({{ effective_from }}) over (partition by {{ key }} order by {{ effective_from }})
{%- endmacro %}

{#- True when the row `alias` ([valid_from, valid_to)) is in force on `date_expr`. -#}
{% macro tl_in_force(date_expr, alias) -%}
    ({{ date_expr }} >= {{ alias }}.valid_from and ({{ alias }}.valid_to is null or {{ date_expr }} < {{ alias }}.valid_to))
{%- endmacro %}
