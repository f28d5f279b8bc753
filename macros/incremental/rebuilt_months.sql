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
    {{ tl_month_incremental_config(this_month, hooks) }}
{%- endmacro %}

{#-
  The end of a month fact's final `select * from final` on DuckDB: `order by` its month, so every row group of the
  table holds rows of one month. A later run's delete+insert of a month then drops whole row groups, where rows of
  every month spread over every row group would make the next checkpoint rewrite every row group of the table
  (DuckDB vacuums a row group that lost rows). Nothing elsewhere: Spark overwrites month partitions, and Postgres
  keeps deleted rows until its own vacuum.
-#}
{% macro tl_month_clustered(month_column='month') -%}
    {%- if target.type == 'duckdb' %}
order by {{ month_column }}
    {%- endif -%}
{%- endmacro %}

{#-
  Pre-hook (the last of tl_month_fact_config's): record in raw.build_months the months this invocation
  rebuilds of the model: on an incremental run the months of `upstream` that tl_reprocess_months_filter
  selects (evaluated after the other pre-hooks, as the model's own query sees it) and the months unloaded
  loads touched (emptied, so downstream month reports drop them too); on a full build one row with a NULL
  month (every month). One row per (invocation, model, month), appended: a few rows per build
  (tl_insert_build_months).
-#}
{% macro tl_record_rebuilt_months(upstream, month_column='month', load_column='last_load_id', this_load_column='last_load_id',
                                  this_month_column=none) -%}
    {%- set rebuilt -%}
        select {{ month_column }} as month from {{ upstream }}
        where {{ tl_reprocess_months_filter(upstream, month_column, load_column, this_load_column, this_month_column) }}
    {%- endset -%}
    {{ tl_record_months(rebuilt) }}
{%- endmacro %}

{#-
  The statement of a fact's record pre-hook (one home): on an incremental run, append the months of
  `months_query` (a subquery body with a `month` column) and the months unloaded loads touched to raw.build_months;
  on a full build one row with a NULL month (tl_insert_build_months).
-#}
{% macro tl_record_months(months_query) -%}
    {%- if is_incremental() -%}
        {{ tl_insert_build_months(months_query ~ ' union ' ~ tl_unloaded_months()) }}
    {%- else -%}
        {{ tl_insert_build_months(none) }}
    {%- endif -%}
{%- endmacro %}

{#-
  The statement that appends this model's rows to raw.build_months (one home for its row): one row per month of
  `months_query` (a subquery body with a `month` column), or, with none, one row with a NULL month (every month:
  a full build). The values in the table's column order (invocation_id, model_name, month, recorded_at).
-#}
{% macro tl_insert_build_months(months_query) -%}
    {%- set row_head = "'" ~ invocation_id ~ "', '" ~ this.identifier ~ "'" -%}
    insert into raw.build_months
    {%- if months_query is none %}
    select {{ row_head }}, cast(null as date), cast({{ dbt.current_timestamp() }} as timestamp)
    {%- else %}
    select distinct {{ row_head }}, cast(months.month as date), cast({{ dbt.current_timestamp() }} as timestamp)
    from ({{ months_query }}) as months
    {%- endif %}
{%- endmacro %}

{#-
  A condition on `column` (a month): it is among the months of `months_query` (a subquery body with a `month`
  column), or that query holds a NULL month (every month: a full build).
-#}
{% macro tl_among_months(column, months_query) -%}
    ({{ column }} in (select listed.month from ({{ months_query }}) as listed where listed.month is not null)
        or exists (select 1 from ({{ months_query }}) as listed where listed.month is null))
{%- endmacro %}

{#-
  The configuration of a month report (one home): a table of month rows computed only from the rows of the
  same month of its inputs (the month facts, and month reports before it), incremental by month like them
  (delete+insert; insert_overwrite of month partitions on Spark). An incremental run rebuilds the months
  its parents recorded in raw.build_months since it last recorded (tl_pending_months): its import CTEs of
  those parents read `where tl_pending_months_filter(...)`. Its pre-hook empties those months first (a month
  can come out empty: an unloaded load); its post-hook records them for its own readers and for the
  scheduled test scope, once the month rows are in (a failed build records nothing, so the next run
  rebuilds them). Only for reports whose other inputs are the configuration the fingerprint covers
  (tl_fingerprinted_seeds, tl_result_vars): a change there reaches the open months through the facts.
-#}
{% macro tl_month_report_config(month_column='month') -%}
    {{ tl_month_incremental_config(month_column, ["{{ tl_drop_pending_months('" ~ month_column ~ "') }}"],
                                   ["{{ tl_record_pending_months() }}"]) }}
{%- endmacro %}

{#-
  What the month facts and the month reports share: incremental by `month_column` (delete+insert; insert_overwrite
  of month partitions on Spark), schema changes fail, with the given pre- and post-hooks.
-#}
{% macro tl_month_incremental_config(month_column, pre_hooks, post_hooks=[]) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy=tl_month_strategy(),
        unique_key=month_column,
        partition_by=tl_month_partition(month_column),
        on_schema_change='fail',
        pre_hook=pre_hooks,
        post_hook=post_hooks,
    ) }}
{%- endmacro %}

{#-
  Subquery body (one `month` column): the months the model's parents recorded in raw.build_months since the
  model itself last recorded there (all their records if it never did); a NULL month is a parent's full build.
-#}
{% macro tl_pending_months() -%}
    {%- set parents = ["''"] -%}
    {%- for node_id in model.depends_on.nodes if node_id.startswith('model.') -%}
        {%- do parents.append("'" ~ node_id.split('.')[-1] ~ "'") -%}
    {%- endfor -%}
    select recorded.month from raw.build_months as recorded
    where recorded.model_name in ({{ parents | join(', ') }})
        and recorded.recorded_at > (
            select coalesce(max(own.recorded_at), cast('1900-01-01 00:00:00' as timestamp)) from raw.build_months as own
            where own.model_name = '{{ this.identifier }}'
        )
{%- endmacro %}

{#-
  The predicate a month report's import CTEs of its parents read: on an incremental run, the rows of the
  pending months (tl_pending_months; every row when a parent was fully rebuilt); on a full build, every row.
-#}
{% macro tl_pending_months_filter(month_column='month') -%}
    {%- if is_incremental() -%}
        {{ tl_among_months(month_column, tl_pending_months()) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of a month report: on an incremental run, delete its pending months (then rebuilt from its parents). -#}
{% macro tl_drop_pending_months(month_column='month') -%}
    {%- if is_incremental() and target.type != 'spark' -%}
        {{ tl_delete_rows(this, tl_pending_months_filter(month_column)) }}
    {%- endif -%}
{%- endmacro %}

{#-
  Post-hook of a month report: record the months it rebuilt in raw.build_months (its pending months; one row with
  a NULL month on a full refresh; tl_insert_build_months). Evaluated after the rows are in, as
  tl_pending_months saw them when the model ran (nothing else records its parents' months meanwhile).
-#}
{% macro tl_record_pending_months() -%}
    {{ tl_insert_build_months(none if should_full_refresh() else tl_pending_months()) }}
{%- endmacro %}

{#-
  The scheduled test scope of one model (a graph node) as a condition on `column` (holding its months): with env
  TOKENLEDGER_TEST_SCOPE=rebuilt and a model that records the months it rebuilds (tl_month_fact_config,
  tl_event_fact_config, tl_month_report_config), the months this invocation recorded for it (every month after a
  full build); for a kept table (tl_kept_table_config), every row when this invocation rebuilt it and none when it kept it
  (`column` unused); otherwise none (every row). Read only when a test runs: dbt also renders tests while
  parsing, and an env var read then would make every change of the scope a re-parse of every test. Any other
  scope is an error.
-#}
{% macro tl_rebuilt_months_condition(node, column) -%}
    {%- set scope = env_var('TOKENLEDGER_TEST_SCOPE', 'all') if execute else 'all' -%}
    {%- if scope not in ('all', 'rebuilt') -%}
        {%- do exceptions.raise_compiler_error("TOKENLEDGER_TEST_SCOPE is '" ~ scope ~ "': use all (the default) or rebuilt") -%}
    {%- endif -%}
    {%- set hooks = (node.config.get('pre-hook', []) + node.config.get('post-hook', [])) | map(attribute='sql') | join(' ') -%}
    {%- if scope == 'rebuilt' and node.config.materialized == 'incremental' and 'tl_record_' in hooks -%}
        {%- set built = "select month from raw.build_months where invocation_id = '" ~ invocation_id
                        ~ "' and model_name = '" ~ (node.alias or node.name) ~ "'" -%}
        {%- do return(tl_among_months(column, built)) -%}
    {%- endif -%}
    {%- if scope == 'rebuilt' and node.config.materialized == 'incremental' and 'tl_note_inputs' in hooks -%}
        {%- do return("exists (select 1 from raw.build_inputs as noted where noted.invocation_id = '" ~ invocation_id
                      ~ "' and noted.model_name = '" ~ (node.alias or node.name) ~ "' and noted.action <> 'kept')") -%}
    {%- endif -%}
    {%- do return(none) -%}
{%- endmacro %}

{#-
  In a generic test, the scheduled scope of the model under test (tl_rebuilt_months_condition) as a condition on
  `column` of another relation that holds the same months (a tie's other side), so both sides cover the same
  months; none when the test reads every row. `model` here is the test's own node (the test's argument of that
  name is the tested relation).
-#}
{% macro tl_tested_months_condition(column) -%}
    {%- set tested = graph.nodes.get(model.attached_node) if execute and model.attached_node else none -%}
    {%- do return(tl_rebuilt_months_condition(tested, column) if tested else none) -%}
{%- endmacro %}

{#-
  The `model` of every generic data test (dbt calls this macro on it; the override of dbt's own, whose
  `where` config it keeps). With env TOKENLEDGER_TEST_SCOPE=rebuilt (`tokenledger build --scheduled`), a test
  on a fact rebuilt a month at a time (tl_month_fact_config) or a month report (tl_month_report_config) reads
  only the months this invocation rebuilt (raw.build_months, tl_rebuilt_months_condition), and a test on a kept
  table (tl_kept_table_config) reads its rows only when this invocation rebuilt it, so a nightly build's tests
  cost what its new data costs; every row after a full build.
  Every other model, and every test by default (`all`: CI, `tokenledger build`), is tested whole. A test
  with a `where` config gets both conditions.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if execute and relation.identifier is defined -%}
        {%- for node in graph.nodes.values()
              if node.resource_type == 'model' and (node.alias or node.name) == relation.identifier and node.schema == relation.schema -%}
            {%- set rebuilt = tl_rebuilt_months_condition(node, node.config.meta.get('tl_month_column') or node.config.unique_key) -%}
            {%- if rebuilt -%}
                {%- do conditions.append(rebuilt) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
