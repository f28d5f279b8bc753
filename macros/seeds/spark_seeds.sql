{#-
    Seeds on Spark. dbt-spark's session loader binds every cell as text in quotes without escaping, writes
    a blank cell as the string 'None' and numbers as floats (dbt-adapters#487). Here each cell becomes an
    exact SQL literal instead: blank -> NULL, text escaped for Spark's string literals, numbers by their
    decimal text (never through a float), cast to the column's type. Type names as the seed files write
    them are translated (varchar -> string; time -> string 'HH:MM:SS', Spark has no time type).
-#}

{#- The Spark type of a seed column: its column_types entry (translated), else dbt-spark's inference. -#}
{% macro tl_spark_seed_type(model, agate_table, index) -%}
    {%- set col_name = agate_table.column_names[index] -%}
    {%- set declared = model['config'].get('column_types', {}).get(col_name) -%}
    {%- if declared is none -%}
        {{- adapter.convert_type(agate_table, index) -}}
    {%- else -%}
        {{- spark__tl_type(declared) -}}
    {%- endif -%}
{%- endmacro %}

{#- One CSV cell as a Spark SQL literal of `type`. -#}
{% macro tl_spark_seed_literal(value, type) -%}
    {%- if value is none or (value is string and value == '') -%}
        null
    {%- else -%}
        {%- if value is sameas true or value is sameas false -%}
            {%- set text = 'true' if value else 'false' -%}
        {%- elif value.days is defined and value.seconds is defined -%}
            {%- set seconds = value.seconds -%}
            {%- set text = '%02d:%02d:%02d' | format(seconds // 3600, (seconds // 60) % 60, seconds % 60) -%}
        {%- elif value.isoformat is defined -%}
            {%- set text = value.isoformat() -%}
        {%- else -%}
            {%- set text = value | string -%}
        {%- endif -%}
        cast('{{ dbt.escape_single_quotes(text) }}' as {{ type }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) %}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
    {% set sql %}
        create table {{ this.render() }} (
            {%- for col_name in agate_table.column_names -%}
                {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ tl_spark_seed_type(model, agate_table, loop.index0) }}
                {%- if not loop.last -%}, {%- endif -%}
            {%- endfor -%}
        )
        {{ file_format_clause() }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {% endset %}
    {% call statement('_') -%}
        {{ sql }}
    {%- endcall %}
    {{ return(sql) }}
{% endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(tl_spark_seed_type(model, agate_table, loop.index0)) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}{{ tl_spark_seed_literal(value, types[loop.index0]) }}{%- if not loop.last %}, {% endif -%}{%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
