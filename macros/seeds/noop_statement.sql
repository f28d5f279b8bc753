{#-
    dbt's noop_statement (the seed materialization's `main` statement), except that it never writes a seed's
    run SQL over the seed itself. dbt writes a node's run SQL to target/run/<project>/<original_file_path>;
    the organisation folder (TOKENLEDGER_ORG) is a seed path and may be absolute, and joining an absolute path
    yields that path, so dbt would overwrite the user's CSV with the SQL that loaded it. A seed whose file path
    is absolute keeps no run SQL file; everything else is as dbt does it.
-#}
{% macro noop_statement(name=None, message=None, code=None, rows_affected=None, res=None) -%}
  {%- set sql = caller() -%}

  {%- if name == 'main' -%}
    {%- set path = model.get('original_file_path') or '' -%}
    {%- if model.get('resource_type') == 'seed' and (path.startswith('/') or path[1:3] == ':\\') -%}
      {{ log('Not writing runtime SQL for seed "{}": its file path is absolute ({})'.format(model['unique_id'], path)) }}
    {%- else -%}
      {{ log('Writing runtime SQL for node "{}"'.format(model['unique_id'])) }}
      {{ write(sql) }}
    {%- endif -%}
  {%- endif -%}

  {%- if name is not none -%}
    {{ store_raw_result(name, message=message, code=code, rows_affected=rows_affected, agate_table=res) }}
  {%- endif -%}

{%- endmacro %}
