{#-
  Kept tables: an intermediate table over all history whose rows change only when what it reads changes (the
  dedupe, cross-source matching and retry chains of int_usage_attempts_matched and int_usage_attempts_unioned)
  is rebuilt whole when its inputs' digest (tl_inputs_digest) moved since its last build, and kept as it is
  otherwise: a scheduled build with nothing new, or after an org edit, does not pay for all history again.
  The digest covers
  1. the landed data: the highest `loaded` load id of raw.load_manifest and every unloaded load id
     (raw.load_unloads), so a new load, an unload or a reload changes it;
  2. the last full build of every upstream model that notes its builds in raw.build_inputs (the base parsers, and
     kept tables upstream): a re-parse (`dbt build --full-refresh --select base_...`) changes it;
  3. every row of the seeds upstream (tl_seed_row_digests), the result-changing variables (tl_result_vars) and every
     variable the code of the model or of a model upstream names (`var('<name>'`, tl_var_names_read: an audit's
     thresholds, say);
  4. the code of the model and of every model upstream (their raw SQL).
  A change of a macro these models call needs `dbt build --full-refresh`, as does a change of the parsing rules.
  On Spark (plain Parquet, no DELETE) a kept table is an ordinary table, rebuilt on every run.
-#}

{#-
  The configuration of a kept table (one home): incremental, appending, with a pre-hook that empties it when its
  inputs changed (tl_clear_unless_inputs_unchanged) and a post-hook that notes the build (tl_note_inputs). The
  model's SQL ends `select * from final {{ tl_no_rows_when_kept() }}`.
-#}
{% macro tl_kept_table_config() -%}
    {%- if target.type == 'spark' -%}
        {{ config(materialized='table') }}
    {%- else -%}
        {{ config(
            materialized='incremental',
            incremental_strategy='append',
            on_schema_change='fail',
            pre_hook=["{{ tl_clear_unless_inputs_unchanged() }}"],
            post_hook=["{{ tl_note_inputs() }}"],
        ) }}
    {%- endif -%}
{%- endmacro %}

{#-
  Whether this incremental run of a kept table can keep its rows: its inputs' digest now (`digest`, when the caller
  has computed it; else tl_inputs_digest) equals the one noted at its last build. Never on Spark, on a full build,
  or while dbt parses.
-#}
{% macro tl_inputs_unchanged(digest=none) -%}
    {%- if not execute or target.type == 'spark' or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set noted = tl_noted_inputs_digest() -%}
    {{ return(noted is not none and noted == (digest or tl_inputs_digest())) }}
{%- endmacro %}

{#-
  The end of a kept table's final `select * from final`: `where 1 = 0` when its inputs are unchanged (nothing to
  append), else nothing. The engines plan a constant false filter as an empty result: none of the query runs.
-#}
{% macro tl_no_rows_when_kept() -%}
    {%- if tl_inputs_unchanged() %}
where 1 = 0
    {%- endif -%}
{%- endmacro %}

{#- The digest noted at the model's last build (raw.build_inputs), or none. -#}
{% macro tl_noted_inputs_digest() -%}
    {%- set noted = run_query("select inputs_digest from raw.build_inputs where model_name = '" ~ this.identifier
                              ~ "' and inputs_digest is not null order by recorded_at desc limit 1") -%}
    {{ return(noted.rows[0][0] if noted.rows | length > 0 else none) }}
{%- endmacro %}

{#- Every node upstream of `node` (graph nodes, by unique id), found through depends_on. -#}
{% macro tl_upstream_nodes(node) -%}
    {%- set found = {} -%}
    {%- set queue = node.depends_on.nodes | list -%}
    {%- for _ in range(10000) if queue -%}
        {%- set unique_id = queue.pop() -%}
        {%- if unique_id not in found and unique_id in graph.nodes -%}
            {%- do found.update({unique_id: graph.nodes[unique_id]}) -%}
            {%- do queue.extend(graph.nodes[unique_id].depends_on.nodes) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if queue -%}  {#- Jinja has no while loop: a graph too large for the bound must not digest part of it -#}
        {%- do exceptions.raise_compiler_error("tl_upstream_nodes: more than 10000 steps upstream of " ~ node.unique_id) -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}

{#- The names of the variables `code` (models' raw SQL) reads by name, `var('<name>'` or `var("<name>"`, sorted. -#}
{% macro tl_var_names_read(code) -%}
    {{ return(modules.re.findall("var\\(\\s*['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]", code) | unique | sort | list) }}
{%- endmacro %}

{#- The current digest of the model's inputs (the file's header): one md5, computed by a query (none while dbt parses). -#}
{% macro tl_inputs_digest() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set upstream = tl_upstream_nodes(model) -%}
    {%- set code = [model.raw_code] -%}
    {%- set seeds = [] -%}
    {%- set models = ["''"] -%}
    {%- for unique_id in upstream | sort -%}
        {%- set node = upstream[unique_id] -%}
        {%- if node.resource_type == 'model' -%}
            {%- do code.append(unique_id ~ ':' ~ node.raw_code) -%}
            {%- do models.append("'" ~ (node.alias or node.name) ~ "'") -%}
        {%- elif node.resource_type == 'seed' -%}
            {#- the seed's relation from its node: a ref() here would be a dependency dbt did not see while parsing -#}
            {%- set relation = api.Relation.create(database=node.database, schema=node.schema,
                                                   identifier=node.alias or node.name) -%}
            {%- do seeds.append(tl_seed_row_digests(node.name, relation)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set text = 'cast({} as ' ~ dbt.type_string() ~ ')' -%}
    {%- set parts = [
        "'" ~ local_md5(code | join('\n')) ~ "'",
        "coalesce((select " ~ text.format('max(load_id)') ~ " from raw.load_manifest where status = 'loaded'), '')",
        "coalesce((select " ~ tl_sorted_string_agg(text.format('load_id'), ',') ~ " from raw.load_unloads), '')",
        "coalesce((select " ~ tl_sorted_string_agg(dbt.concat(['model_name', "':'", text.format('recorded_at')]), ',')
            ~ " from (select model_name, max(recorded_at) as recorded_at from raw.build_inputs where action <> 'kept'"
            ~ " and model_name in (" ~ models | join(', ') ~ ") group by model_name) as built), '')",
        "coalesce((select " ~ tl_sorted_string_agg('row_digest', ',') ~ " from (" ~ (seeds | join(' union all ')
            if seeds else "select cast(null as " ~ dbt.type_string() ~ ") as row_digest") ~ ") as seed_rows), '')",
        tl_result_vars_literal(tl_var_names_read(code | join('\n'))),
    ] -%}
    {%- set separated = [] -%}
    {%- for part in parts -%}
        {%- do separated.extend(["'|'", part] if separated else [part]) -%}
    {%- endfor -%}
    {%- set digest = run_query('select ' ~ dbt.hash(dbt.concat(separated))) -%}
    {{ return(digest.rows[0][0]) }}
{%- endmacro %}

{#-
  Pre-hook of a kept table: on an incremental run whose inputs changed, delete every row (the model then appends
  all of them again); nothing when they are unchanged.
-#}
{% macro tl_clear_unless_inputs_unchanged() -%}
    {%- if is_incremental() and not tl_inputs_unchanged() -%}
        {{ tl_delete_rows(this, '1 = 1') }}
    {%- endif -%}
{%- endmacro %}

{#-
  Post-hook of a kept table: note this build in raw.build_inputs with its inputs' digest and what it did: `kept`
  (inputs unchanged), `rebuilt` (an incremental run that rebuilt it) or `full` (a full build).
-#}
{% macro tl_note_inputs() -%}
    {%- set digest = tl_inputs_digest() -%}
    {%- set action = 'full' if not is_incremental() else ('kept' if tl_inputs_unchanged(digest) else 'rebuilt') -%}
    {{ tl_insert_build_inputs(action, digest) }}
{%- endmacro %}

{#-
  Pre-hook of the base parsers: note a full build (the table parsed again from every raw row) in raw.build_inputs,
  which the kept tables downstream digest; nothing on an incremental run (new loads change the manifest) or on
  Spark (no kept tables there). A pre-hook, where is_incremental() still tells a first build from a later one.
-#}
{% macro tl_note_full_build() -%}
    {%- if not is_incremental() and target.type != 'spark' -%}
        {{ tl_insert_build_inputs('full', none) }}
    {%- endif -%}
{%- endmacro %}

{#- The statement that appends this model's row to raw.build_inputs (one home for its row), in the table's column order. -#}
{% macro tl_insert_build_inputs(action, digest) -%}
    insert into raw.build_inputs
    select '{{ invocation_id }}', '{{ this.identifier }}', {{ "'" ~ digest ~ "'" if digest else 'cast(null as ' ~ dbt.type_string() ~ ')' }},
        '{{ action }}', cast({{ dbt.current_timestamp() }} as timestamp)
{%- endmacro %}
