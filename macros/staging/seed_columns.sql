{#-
  Users edit the organisation seeds; optional columns may be missing from a CSV altogether.
  `tl_seed_column(relation, name, type)` selects the column when the seed has it (matched
  case-insensitively) and a typed NULL otherwise, so the build still works.
-#}
{% macro tl_seed_column(relation, column_name, data_type) -%}
    {%- set present = [] -%}
    {%- if execute -%}
        {%- for col in adapter.get_columns_in_relation(relation) -%}
            {%- if col.name | lower == column_name | lower -%}{%- do present.append(col.name) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if present -%}
        {{ tl_try_cast(adapter.quote(present[0]), data_type) }}
    {%- else -%}
        cast(null as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#- An id as compared everywhere: trimmed, lower-cased, blank = NULL. -#}
{% macro tl_normalize_id(expr) -%}
    lower(nullif(trim({{ expr }}), ''))
{%- endmacro %}
