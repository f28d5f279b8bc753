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
