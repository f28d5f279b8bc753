{#-
  Incremental facts are rebuilt a month at a time (delete+insert on `month`). On an incremental run a
  model reprocesses the months of `upstream` that
  1. hold rows landed by a load it has not seen (upstream `load_column` above its own
     max(`this_load_column`)): new days, and late or duplicate data for any month, closed or not;
  2. are open (not in org/closed_months.csv) and whose configuration fingerprint moved since the model
     built them (int_config_fingerprints against its own config_fingerprint, macros/incremental/
     config_fingerprint.sql), when var('reprocess_open_months') is true (default): a price refresh or a
     seed edit re-prices and re-attributes the open months it can affect on the next run, and only those;
  3. were touched by an unloaded load (tl_unloaded_months, macros/incremental/unloaded_loads.sql);
  4. optionally fall within a lookback: from the month of (its latest occurred_at - var('lookback_days'))
     on, when lookback_days is above 0 (default 0: rule 1 already finds every month new rows reach).
  `this_month_column` is the model's own month column (default: `month_column`). Closed months are not
  recomputed for seed or price edits: run `dbt build --full-refresh` to do so deliberately; their
  published lines never move (marts.published_team_monthly_spend) and the differences show in
  audit.restatement_candidates. Returns a predicate on the upstream rows.
-#}
{% macro tl_reprocess_months_filter(upstream, month_column='month', load_column='load_id', this_load_column='last_load_id',
                                    this_month_column=none) -%}
    {%- set this_month = this_month_column or month_column -%}
    {%- if is_incremental() -%}
        {{ month_column }} in (
            select {{ month_column }} from {{ upstream }}
            where {{ load_column }} > (select coalesce(max({{ this_load_column }}), 0) from {{ this }})
            union
            {{ tl_reprocess_rule_months(upstream, month_column, this_month) }}
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#-
  Rules 2-4 of tl_reprocess_months_filter as a subquery body of months (one home, shared with the facts rebuilt a
  day at a time, tl_reprocess_days_filter): the unloaded loads' months, the lookback and the open months whose
  configuration fingerprint moved. A month moved when none of the model's rows of it carries the current
  fingerprint; with `any_row_moved`, when any of them carries another one (a model rebuilt a day at a time can
  hold a closed month's late day built under a later fingerprint beside its older days).
-#}
{% macro tl_reprocess_rule_months(upstream, month_column, this_month, any_row_moved=false) -%}
    {{ tl_unloaded_months() }}
    {%- if var('lookback_days', 0) | int > 0 %}
        union
        select {{ month_column }} from {{ upstream }}
        where {{ month_column }} >= (
            select {{ tl_month(dbt.dateadd('day', -1 * var('lookback_days') | int, 'max(occurred_at)')) }} from {{ this }}
        )
    {%- endif %}
    {%- if var('reprocess_open_months', true) %}
        union
        select fingerprints.month from {{ ref('int_config_fingerprints') }} as fingerprints
        where fingerprints.month not in (select month from {{ ref('stg_org__closed_months') }} where month is not null)
            and {{ 'exists' if any_row_moved else 'not exists' }} (
                select 1 from {{ this }} as built
                where built.{{ this_month }} = fingerprints.month
                    and built.config_fingerprint {{ '<>' if any_row_moved else '=' }}
                        {{ tl_combined_fingerprint('fingerprints.seed_fingerprint') }}
            )
    {%- endif %}
{%- endmacro %}

{#-
  The incremental strategy of the facts rebuilt a month at a time: delete+insert on the month, or on Spark
  (Parquet tables, no DELETE) insert_overwrite of the month partitions a run rebuilds (tl_month_partition).
-#}
{% macro tl_month_strategy() -%}
    {{ return('insert_overwrite' if target.type == 'spark' else 'delete+insert') }}
{%- endmacro %}

{#- The partition columns of a fact rebuilt a month at a time: its month on Spark, none elsewhere. -#}
{% macro tl_month_partition(month_column='month') -%}
    {{ return([month_column] if target.type == 'spark' else none) }}
{%- endmacro %}

{#-
  Pre-hook of an incremental model a reprocessed month can come out of with no rows (a savings rule that no
  longer matches anything that month): delete the months tl_reprocess_months_filter selects on `upstream`
  first, so delete+insert (which deletes only the months the new rows hold) cannot leave that month's old
  rows behind. On Spark a no-op: its partitions are overwritten only for the months the new rows hold, and a
  plain-Parquet delete rewrites the whole table (tl_delete_rows); an emptied month keeps its old rows there
  until a full refresh.
-#}
{% macro tl_drop_reprocessed_months(upstream, month_column='month', load_column='last_load_id', this_load_column='last_load_id') -%}
    {%- if is_incremental() and target.type != 'spark' -%}
        {{ tl_delete_rows(this, tl_reprocess_months_filter(upstream, month_column, load_column, this_load_column)) }}
    {%- endif -%}
{%- endmacro %}
