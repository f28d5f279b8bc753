{#-
  Unloading (`tokenledger unload LOAD_ID`) records the load in raw.load_unloads; its raw rows stay.
  The next build takes it out of the ledger:
  1. the base models never parse an unloaded load (tl_unseen_loads) and drop the rows they parsed from
     it before (tl_drop_unloaded_rows, their pre-hook), so staging, the audits and the dedupe (a copy
     the unloaded load had won comes back) see the ledger as if the load had never landed;
  2. the incremental facts reprocess every month the load touched (int_load_months): their pre-hook
     (tl_drop_unloaded_months) deletes those months, which tl_reprocess_months_filter then rebuilds,
     so a month that only the unloaded load had fed is emptied too. This happens on every build while
     the unload exists (closed months included: their facts follow the current data; their published
     lines never move, and the difference is a restatement candidate).
-#}

{#- The unloaded loads' ids (stg_ingest__load_unloads), as a subquery body. -#}
{% macro tl_unloaded_load_ids() -%}
    select unloads.load_id from {{ ref('stg_ingest__load_unloads') }} as unloads
{%- endmacro %}

{#- The months that unloaded loads touched (as the ledger last saw them), as a subquery body. -#}
{% macro tl_unloaded_months() -%}
    select load_months.month from {{ ref('int_load_months') }} as load_months
    where load_months.load_id in ({{ tl_unloaded_load_ids() }})
{%- endmacro %}

{#- Pre-hook of the base models: delete the rows parsed from loads unloaded since. -#}
{% macro tl_drop_unloaded_rows(load_column='load_id') -%}
    {%- if is_incremental() -%}
        {{ tl_delete_rows(this, load_column ~ ' in (' ~ tl_unloaded_load_ids() ~ ')') }}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the incremental facts: delete the months unloaded loads touched (then rebuilt from upstream). -#}
{% macro tl_drop_unloaded_months(month_column='month') -%}
    {%- if is_incremental() -%}
        {{ tl_delete_rows(this, month_column ~ ' in (' ~ tl_unloaded_months() ~ ')') }}
    {%- endif -%}
{%- endmacro %}

{#- Delete the rows of `relation` where `condition` holds (a statement for a hook). -#}
{% macro tl_delete_rows(relation, condition) -%}
    {{ return(adapter.dispatch('tl_delete_rows', 'tokenledger')(relation, condition)) }}
{%- endmacro %}

{% macro default__tl_delete_rows(relation, condition) -%}
    delete from {{ relation }} where {{ condition }}
{%- endmacro %}

{#-
  Spark tables on plain Parquet have no DELETE: when some row matches (an unload: rare), the table is
  rewritten without those rows through a staging copy (Spark cannot overwrite a table it reads from).
-#}
{% macro spark__tl_delete_rows(relation, condition) -%}
    {%- if execute -%}
        {%- set matching = run_query('select count(*) from ' ~ relation ~ ' where ' ~ condition).columns[0].values()[0] -%}
        {%- if matching > 0 -%}
            {%- set kept = relation.incorporate(path={'identifier': relation.identifier ~ '__tl_kept'}) -%}
            {%- do run_query('drop table if exists ' ~ kept) -%}
            {%- do run_query('create table ' ~ kept ~ ' using parquet as select * from ' ~ relation ~ ' where not coalesce(' ~ condition ~ ', false)') -%}
            {%- do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ kept) -%}
            {%- do run_query('drop table ' ~ kept) -%}
        {%- endif -%}
    {%- endif -%}
    select 1 as rows_deleted
{%- endmacro %}
