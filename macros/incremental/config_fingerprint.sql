{#-
  The configuration fingerprint: what, besides the landed data, changes the incremental facts' results.
  Every fact row carries the fingerprint of its month as it was built (config_fingerprint); a build
  reprocesses an open month whose current fingerprint (intermediate.int_config_fingerprints) differs
  from the one its rows were built with, and no other month for a configuration change.
  A month's fingerprint digests
  1. every row of the seeds the facts read (tl_fingerprinted_seeds) that can apply to the month: a row
     of an effective-dated seed applies from its date on, so it is part of the fingerprints of its own
     month and every later one (a row whose date is blank or unreadable applies to every month); a row
     of any other seed applies to every month;
  2. the variables that change the facts' results (tl_result_vars).
  So an agent changing owner from yesterday changes this month's fingerprint only, a price-catalog
  refresh every month's. Closed months are never reprocessed for it (closed months move only through
  the restatement path). Parsing rules (max_tokens_per_request, min_plausible_timestamp) apply when a
  load is parsed; changing them needs `dbt build --full-refresh`.
-#}

{#-
  The seeds the incremental facts read (the savings facts included), each with the column that dates its
  rows (none: every row applies to every month). A convention test checks this list against the seeds
  upstream of the incremental models.
-#}
{% macro tl_fingerprinted_seeds() -%}
    {{ return([
        {'seed': 'agent_directory', 'applies_from': 'effective_from'},
        {'seed': 'people', 'applies_from': 'effective_from'},
        {'seed': 'shared_agent_rules', 'applies_from': 'effective_from'},
        {'seed': 'shared_agent_splits', 'applies_from': 'effective_from'},
        {'seed': 'price_overrides', 'applies_from': 'effective_from'},
        {'seed': 'custom_prices', 'applies_from': 'effective_from'},
        {'seed': 'team_headcount', 'applies_from': 'month'},
        {'seed': 'teams'},
        {'seed': 'api_keys'},
        {'seed': 'team_aliases'},
        {'seed': 'price_providers'},
        {'seed': 'price_match_clauses'},
        {'seed': 'price_sets'},
        {'seed': 'price_rates'},
        {'seed': 'batch_eligible'},
        {'seed': 'model_substitutes'},
        {'seed': 'cache_targets'},
    ]) }}
{%- endmacro %}

{#- The variables that change the incremental facts' results (cross-source matching, subsidies, savings rules). -#}
{% macro tl_result_vars() -%}
    {{ return(['authoritative_sources', 'source_priority', 'subsidized_environments', 'central_team_id',
               'savings_output_percentile', 'savings_output_min_requests', 'savings_batch_unattended_jobs']) }}
{%- endmacro %}

{#-
  The result-changing variables' values as one SQL string literal (sorted JSON), with the variables named in
  `extra_names` too (the variables a kept table's code and the code upstream name; a name among both counts once).
-#}
{% macro tl_result_vars_literal(extra_names=[]) -%}
    {%- set values = {} -%}
    {%- for name in tl_result_vars() + extra_names -%}
        {%- do values.update({name: var(name, none)}) -%}
    {%- endfor -%}
    '{{ dbt.escape_single_quotes(tojson(values, sort_keys=true)) }}'
{%- endmacro %}

{#-
  One row per row of `relation`: seed_name, row_digest (an md5 of every column by name, NULLs distinguished from
  any text) and applies_from (the row's date when the seed is dated and the date readable; else NULL).
-#}
{% macro tl_seed_row_digests(seed_name, relation, applies_from=none) -%}
    {%- set parts = [] -%}
    {%- if execute -%}
        {#- by column name, so a file whose columns come in another order digests the same -#}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- for name in names | sort(case_sensitive=false) -%}
            {%- do parts.append("'" ~ name | lower ~ "='") -%}
            {%- do parts.append("coalesce(" ~ dbt.hash(dbt.cast(adapter.quote(name), api.Column.translate_type('string')))
                ~ ", 'null')") -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set date_column = tl_find_column(relation, applies_from) if applies_from else none -%}
    select
        '{{ seed_name }}' as seed_name,
        {{ dbt.hash(dbt.concat(parts or ["''"])) }} as row_digest,
        {% if date_column -%}
        {{ tl_try_cast('trim(' ~ dbt.cast(adapter.quote(date_column), api.Column.translate_type('string')) ~ ')', 'date') }}
        {%- else -%}
        cast(null as date)
        {%- endif %} as applies_from
    from {{ relation }}
{%- endmacro %}

{#-
  A month's configuration fingerprint: the md5 of the result-changing variables as the calling model is built
  with them and of the month's seed fingerprint (`seed_fingerprint_expr`, int_config_fingerprints).
-#}
{% macro tl_combined_fingerprint(seed_fingerprint_expr) -%}
    {{ dbt.hash(dbt.concat([tl_result_vars_literal(), "'|'", seed_fingerprint_expr])) }}
{%- endmacro %}

{#- The fingerprint of `month_expr`'s month as the current build computes it (a scalar subquery). -#}
{% macro tl_config_fingerprint(month_expr) -%}
    (select {{ tl_combined_fingerprint('fingerprints.seed_fingerprint') }} from {{ ref('int_config_fingerprints') }} as fingerprints
        where fingerprints.month = {{ month_expr }})
{%- endmacro %}

{#- `expr` of every row of a group concatenated in sorted order, `delimiter` between (order-independent input). -#}
{% macro tl_sorted_string_agg(expr, delimiter) -%}
    {{ return(adapter.dispatch('tl_sorted_string_agg', 'tokenledger')(expr, delimiter)) }}
{%- endmacro %}

{% macro default__tl_sorted_string_agg(expr, delimiter) -%}
    string_agg({{ expr }}, '{{ delimiter }}' order by {{ expr }})
{%- endmacro %}

{% macro spark__tl_sorted_string_agg(expr, delimiter) -%}
    array_join(array_sort(collect_list({{ expr }})), '{{ delimiter }}')
{%- endmacro %}
