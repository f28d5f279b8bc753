{#-
  Users edit the organisation seeds; optional columns may be missing from a CSV altogether.
  `tl_seed_column(relation, name, type)` selects the column when the seed has it (matched
  case-insensitively) and a typed NULL otherwise, so the build still works.
-#}
{% macro tl_seed_column(relation, column_name, data_type) -%}
    {%- set actual = tl_find_column(relation, column_name) -%}
    {%- if actual -%}
        {{ tl_try_cast(adapter.quote(actual), data_type) }}
    {%- else -%}
        cast(null as {{ tl_type(data_type) }})
    {%- endif -%}
{%- endmacro %}

{#- The relation's actual name of a column, matched case-insensitively; none when absent (or at parse time). -#}
{% macro tl_find_column(relation, column_name) -%}
    {%- if execute -%}
        {%- for col in adapter.get_columns_in_relation(relation) -%}
            {%- if col.name | lower == column_name | lower -%}{{ return(col.name) }}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- An id as compared everywhere: trimmed, lower-cased, blank = NULL. -#}
{% macro tl_normalize_id(expr) -%}
    lower(nullif(trim({{ expr }}), ''))
{%- endmacro %}

{#- Levenshtein distance between two strings (insertions, deletions, substitutions). -#}
{% macro tl_edit_distance(a, b) -%}
    {%- set ns = namespace(previous=range(b | length + 1) | list) -%}
    {%- for i in range(1, a | length + 1) -%}
        {%- set current = [i] -%}
        {%- for j in range(1, b | length + 1) -%}
            {%- set cost = 0 if a[i - 1] == b[j - 1] else 1 -%}
            {%- do current.append([ns.previous[j] + 1, current[j - 1] + 1, ns.previous[j - 1] + cost] | min) -%}
        {%- endfor -%}
        {%- set ns.previous = current -%}
    {%- endfor -%}
    {{ return(ns.previous[-1]) }}
{%- endmacro %}

{#-
  A whole organisation staging model over the seed `seed_name`: `source` (the seed), then one row per
  seed row with `columns`, an ordered mapping output column -> how to read the seed's column of that
  name: a type ('id' = an id as compared everywhere, tl_normalize_id of the text; any other = that SQL
  type, tl_seed_column), or [type, template] where the template's `{}` stands for that read (e.g.
  "nullif({}, '*')"). With `derived` (SQL select items over the typed columns) the typed columns are a
  CTE `typed` and the final select is `derived`.
-#}
{% macro tl_org_seed_model(seed_name, columns, derived=none) -%}
with

source as (

    select * from {{ ref(seed_name) }}

),

{% if derived %}typed{% else %}final{% endif %} as (

    select
        {%- for name, spec in columns.items() %}
            {%- set kind, template = (spec, '{}') if spec is string else spec %}
            {%- if kind == 'id' %}
                {%- set read = tl_normalize_id(tl_seed_column(ref(seed_name), name, 'varchar')) %}
            {%- else %}
                {%- set read = tl_seed_column(ref(seed_name), name, kind) %}
            {%- endif %}
        {{ template | replace('{}', read) }} as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from source

){% if derived %},

final as (

    select
        {{ derived | join(',\n        ') }}
    from typed

){% endif %}

select * from final
{%- endmacro %}
