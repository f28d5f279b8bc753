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

{#-
  A type-2 dimension over an effective-dated relation (a CTE name): one row per `key` and effective
  period, [valid_from, valid_to) with no gaps or overlaps. `key_name` is the row's key
  (<key>@<effective_from>), then `key`, `columns` (SQL expressions, in order), valid_from, valid_to and
  is_current. Renders a query (use it as a CTE body).
-#}
{% macro tl_versioned(relation, key, key_name, columns) -%}
    select
        {{ dbt.concat([key, "'@'", dbt.cast('effective_from', api.Column.translate_type('string'))]) }} as {{ key_name }},
        {{ key }},
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        effective_from as valid_from,
        {{ tl_valid_to(key) }} as valid_to,
        {{ tl_valid_to(key) }} is null as is_current
    from {{ relation }}
{%- endmacro %}
