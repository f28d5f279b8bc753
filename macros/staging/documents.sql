{#-
  One row per element of a JSON value that may be an array, carrying `columns` along: the elements
  of an array, or the value itself when it is anything else (an object, a scalar, NULL for invalid
  JSON), so no landed document disappears. `type_column` holds tl_json_type of `json_column`.
  Renders a query (a CTE body); the element is named `alias`.
-#}
{% macro tl_json_elements(relation, json_column, type_column, columns, alias) -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        {{ json_column }} as {{ alias }}
    from {{ relation }}
    where {{ type_column }} is distinct from 'ARRAY'

    union all

    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        {{ tl_json_array_rows(json_column) }} as {{ alias }}
    from {{ relation }}
    where {{ type_column }} = 'ARRAY'
{%- endmacro %}
