{#-
  The base parsers' named fields: `names` (the keys of a mapping name -> JSON path, in the order the
  paths were read by tl_json_texts into the list column `list_column`) as one select list, each
  element of the list under its name.
-#}
{% macro tl_named_elements(list_column, names) -%}
    {%- for name in names %}
        {{ tl_list_element(list_column, loop.index) }} as {{ name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#-
  The records of a base parser (a CTE with a JSON column `record`) with record_type (its JSON type)
  and `texts`, the values of `paths` (a mapping name -> JSON path) as text, read in one extraction
  (tl_json_texts; name them with tl_named_elements). Renders a query (use it as a CTE body).
-#}
{% macro tl_record_texts(relation, paths) -%}
    select
        *,
        {{ tl_json_type('record') }} as record_type,
        {{ tl_json_texts('record', paths.values() | list) }} as texts
    from {{ relation }}
{%- endmacro %}

{#-
  A simple case over `expr`: `mapping` maps each value (a string literal, in order) to the SQL it
  selects; the key 'else' gives the SQL for any other value (absent: NULL).
-#}
{% macro tl_case_map(expr, mapping) -%}
    case {{ expr }}
        {%- for value, result in mapping.items() if value != 'else' %}
            when '{{ value }}' then {{ result }}
        {%- endfor %}
        {%- if 'else' in mapping %}
            else {{ mapping['else'] }}
        {%- endif %}
        end
{%- endmacro %}
