{#-
  The configuration every fact rebuilt a month at a time opens with (one home): incremental by its month
  (delete+insert; insert_overwrite of month partitions on Spark), and its pre-hooks, in this order:
  1. tl_drop_unloaded_months: the months unloaded loads touched are emptied, then rebuilt from upstream;
  2. with drop_reprocessed, tl_drop_reprocessed_months: every month the run reprocesses is emptied first
     (for a model a reprocessed month can come out of with no rows);
  3. tl_record_rebuilt_months: the months this run rebuilds, in raw.build_months (scheduled builds test
     only those: get_where_subquery below).
  `upstream` is the name of the model whose rows the model's tl_reprocess_months_filter selects, with the same
  month_column, load_column and this_load_column; `this_month_column` is the model's own month column (its
  unique_key; default: month_column). The models the filter and the pre-hooks read are its dependencies
  (ref'd here, so dbt orders them first).
-#}
{% macro tl_month_fact_config(upstream, month_column='month', load_column='last_load_id', this_load_column='last_load_id',
                              this_month_column=none, drop_reprocessed=false) -%}
    {%- set this_month = this_month_column or month_column -%}
    {%- set read_by_the_filter = [ref('stg_org__closed_months'), ref('int_load_months'), ref('stg_ingest__load_unloads'),
                                  ref('int_config_fingerprints')] -%}
    {%- set args = "ref('" ~ upstream ~ "'), '" ~ month_column ~ "', '" ~ load_column ~ "', '" ~ this_load_column ~ "'" -%}
    {%- set hooks = ["{{ tl_drop_unloaded_months('" ~ this_month ~ "') }}"] -%}
    {%- if drop_reprocessed -%}
        {%- do hooks.append("{{ tl_drop_reprocessed_months(" ~ args ~ ") }}") -%}
    {%- endif -%}
    {%- do hooks.append("{{ tl_record_rebuilt_months(" ~ args ~ ", '" ~ this_month ~ "') }}") -%}
    {{ config(
        materialized='incremental',
        incremental_strategy=tl_month_strategy(),
        unique_key=this_month,
        partition_by=tl_month_partition(this_month),
        on_schema_change='fail',
        pre_hook=hooks,
    ) }}
{%- endmacro %}

{#-
  Pre-hook (the last of tl_month_fact_config's): record in raw.build_months the months this invocation
  rebuilds of the model: on an incremental run the months of `upstream` that tl_reprocess_months_filter
  selects (evaluated after the other pre-hooks, as the model's own query sees it); on a full build one row
  with a NULL month (every month). One row per (invocation, model, month), appended: a few rows per build;
  the values in the table's column order (invocation_id, model_name, month, recorded_at), no column list.
-#}
{% macro tl_record_rebuilt_months(upstream, month_column='month', load_column='last_load_id', this_load_column='last_load_id',
                                  this_month_column=none) -%}
    {%- set row_head = "'" ~ invocation_id ~ "', '" ~ this.identifier ~ "'" -%}
    insert into raw.build_months
    {%- if is_incremental() %}
    select distinct {{ row_head }}, cast({{ month_column }} as date), cast({{ dbt.current_timestamp() }} as timestamp)
    from {{ upstream }}
    where {{ tl_reprocess_months_filter(upstream, month_column, load_column, this_load_column, this_month_column) }}
    {%- else %}
    select {{ row_head }}, cast(null as date), cast({{ dbt.current_timestamp() }} as timestamp)
    {%- endif %}
{%- endmacro %}

{#-
  The `model` of every generic data test (dbt calls this macro on it; the override of dbt's own, whose
  `where` config it keeps). With env TOKENLEDGER_TEST_SCOPE=rebuilt (`tokenledger build --scheduled`), a test
  on a fact rebuilt a month at a time (tl_month_fact_config) reads only the months this invocation rebuilt
  (raw.build_months), so a nightly build's tests cost what its new data costs; every row after a full build.
  Every other model, and every test by default (`all`: CI, `tokenledger build`), is tested whole. A test
  with a `where` config gets both conditions.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {#- read only when the test runs: dbt also renders tests while parsing, and an env var read then would make
        every change of the scope a re-parse of every test -#}
    {%- set scope = env_var('TOKENLEDGER_TEST_SCOPE', 'all') if execute else 'all' -%}
    {%- if scope not in ('all', 'rebuilt') -%}
        {%- do exceptions.raise_compiler_error("TOKENLEDGER_TEST_SCOPE is '" ~ scope ~ "': use all (the default) or rebuilt") -%}
    {%- endif -%}
    {%- if scope == 'rebuilt' and relation.identifier is defined -%}
        {%- for node in graph.nodes.values()
              if node.resource_type == 'model' and (node.alias or node.name) == relation.identifier
                 and node.schema == relation.schema and node.config.materialized == 'incremental'
                 and 'tl_record_rebuilt_months' in (node.config.get('pre-hook', []) | map(attribute='sql') | join(' ')) -%}
            {%- set built = "select month from raw.build_months where invocation_id = '" ~ invocation_id
                            ~ "' and model_name = '" ~ relation.identifier ~ "'" -%}
            {%- do conditions.append('(' ~ node.config.unique_key ~ ' in (' ~ built ~ ' and month is not null)'
                                     ~ ' or exists (' ~ built ~ ' and month is null))') -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
