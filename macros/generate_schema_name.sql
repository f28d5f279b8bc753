{#-
  The project's relations live in fixed schemas: raw, seeds, snapshots, staging, intermediate,
  marts, audit. A custom schema from dbt_project.yml is used as is (not prefixed with the target
  schema), so every target has the same layout; nodes without one use the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
