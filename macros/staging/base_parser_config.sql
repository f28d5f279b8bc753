{#-
  The configuration every source's base parser (models/staging/<source>/base/*_parsed.sql) opens with:
  parsing the raw rows is the heaviest step, so a base parser is append-only incremental by load_id
  (raw loads never change; changing the parsing rules, or max_tokens_per_request, needs
  `dbt build --full-refresh`), and its pre-hooks drop the rows of loads unloaded since
  (tokenledger unload; macros/incremental/unloaded_loads.sql) and note a full build for the kept tables
  downstream (tl_note_full_build, macros/incremental/kept_tables.sql). One home, so a new source's folder
  needs no entry in dbt_project.yml.
-#}
{% macro tl_base_parser_config() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=["{{ tl_drop_unloaded_rows() }}", "{{ tl_note_full_build() }}"],
    ) }}
{%- endmacro %}
