{#-
  Fails for every column of a seed that its properties file (seeds/*.yml) does not document, matched
  case-insensitively: an organisation file with a misspelt column (efective_from) silently loses that
  column's values. With max_distance, only the columns within that many edits of a documented column the
  seed lacks (a near miss, a typo: error); with min_distance, only the others (an extra column: warn).
  Each failing row names the column and, for a near miss, the documented column it is closest to.
  Usage: data_tests: [tl_documented_columns: {arguments: {max_distance: 2}}]
-#}
{% test tl_documented_columns(model, max_distance=none, min_distance=none) %}

{%- set ns = namespace(documented=[], rows=[]) -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'seed' and node.package_name == project_name
            and (node.alias or node.name) | lower == model.identifier | lower -%}
            {%- set ns.documented = node.columns.keys() | map('lower') | list -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set actual = adapter.get_columns_in_relation(model) | map(attribute='name') | list -%}
    {%- set absent = ns.documented | reject('in', actual | map('lower') | list) | list -%}
    {%- for column in actual if column | lower not in ns.documented -%}
        {%- set best = namespace(distance=999, name='') -%}
        {%- for candidate in absent -%}
            {%- set distance = tl_edit_distance(column | lower, candidate) | int -%}
            {%- if distance < best.distance -%}
                {%- set best.distance = distance -%}
                {%- set best.name = candidate -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if (max_distance is none or best.distance <= max_distance) and (min_distance is none or best.distance >= min_distance) -%}
            {%- do ns.rows.append((column, best.name if best.distance <= 2 else '')) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

{%- for column, guess in ns.rows %}
select
    '{{ column | replace("'", "''") }}' as undocumented_column,
    '{{ guess }}' as did_you_mean
{% if not loop.last %}union all{% endif %}
{%- else %}
select
    'none' as undocumented_column,
    'none' as did_you_mean
where 1 = 0
{%- endfor %}

{% endtest %}
