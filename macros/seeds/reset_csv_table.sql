{#-
    Seeds are read by header name, never by column position. dbt loads a seed that already exists by
    truncating it and appending the CSV's rows in the order of the table's columns (DuckDB's fast path
    copies by position), so a CSV whose columns were reordered, added or removed since the last load would
    silently put values under the wrong names. When the CSV's header differs from the table's columns
    (names and order), the table is dropped and created again from the CSV; otherwise it is truncated as
    dbt does. DuckDB binds views late, so dependent views keep working once the build re-creates the seed.
-#}
{% macro duckdb__reset_csv_table(model, full_refresh, old_relation, agate_table) %}
    {%- set existing = adapter.get_columns_in_relation(old_relation) | map(attribute='name') | map('lower') | list -%}
    {%- set wanted = agate_table.column_names | map('lower') | list -%}
    {%- if full_refresh or existing != wanted -%}
        {{ adapter.drop_relation(old_relation) }}
        {%- set sql = create_csv_table(model, agate_table) -%}
    {%- else -%}
        {{ adapter.truncate_relation(old_relation) }}
        {%- set sql = "truncate table " ~ old_relation.render() -%}
    {%- endif -%}
    {{ return(sql) }}
{% endmacro %}
