{#-
  The per-event facts (int_usage_attempts_priced, int_usage_events, int_usage_events_attributed,
  marts.fct_usage_events) are rebuilt a day at a time on DuckDB and Postgres: delete+insert on `event_date`,
  the UTC date of the event (its first attempt's), so a nightly build with one new day, and a few retries and
  late copies of the day before, rebuilds those days and not their months. Every row carries
  `attempts_checksum`, the sum of tl_hash_number(attempt_key, event_key, attempt_seq, load_id) over
  the attempts it stands for (int_usage_attempts_unioned computes the term once). On an incremental run a
  model reprocesses
  1. the days whose checksum differs between the model and its upstream (the sum per event_date on both
     sides): new rows, rows gone (a copy set aside, a superseded copy), and rows that moved (a retry chain
     re-rooted, an event whose first attempt changed), wherever they were before. This replaces the load
     watermark of the facts rebuilt a month at a time, which sees only where new rows are;
  2. every day of the months of rules 2-4 of tl_reprocess_months_filter (tl_reprocess_rule_months): unloaded
     loads, the lookback, open months whose configuration fingerprint moved (any row of the month built under
     another fingerprint).
  The months holding those days are recorded in raw.build_months as a month fact's rebuilt months, so the
  month facts and reports downstream, and the scheduled test scope, work as before. On Spark (partitions
  overwritten whole, no DELETE) these facts stay month facts (tl_month_fact_config and
  tl_reprocess_months_filter with the load watermark): tl_day_grain() is false there.
-#}

{#- Whether the per-event facts are rebuilt a day at a time on this target (not on Spark). -#}
{% macro tl_day_grain() -%}
    {{ return(target.type != 'spark') }}
{%- endmacro %}

{#-
  The configuration a per-event fact opens with (one home): on a day-grain target, incremental by event_date
  (delete+insert) with its pre-hooks in this order:
  1. tl_drop_unloaded_months: the months unloaded loads touched are emptied;
  2. tl_record_rebuilt_days: the months of the days this run rebuilds, in raw.build_months (before 3, so the
     months of days that come out empty are recorded too);
  3. tl_drop_reprocessed_days: every day the run rebuilds is emptied first (a day can come out empty: its only
     event moved to another day).
  Elsewhere tl_month_fact_config with the same arguments. `upstream` is the model whose rows the model's
  tl_reprocess_days_filter selects; `month_column` its month column, `this_month_column` the model's own
  (default: month_column); the load columns are the month-grain watermark's (Spark).
-#}
{% macro tl_event_fact_config(upstream, month_column='month', load_column='last_load_id', this_load_column='last_load_id',
                              this_month_column=none) -%}
    {%- set this_month = this_month_column or month_column -%}
    {%- if not tl_day_grain() -%}
        {{ tl_month_fact_config(upstream, month_column, load_column, this_load_column, this_month) }}
    {%- else -%}
        {%- set read_by_the_filter = [ref(upstream), ref('stg_org__closed_months'), ref('int_load_months'),
                                      ref('stg_ingest__load_unloads'), ref('int_config_fingerprints')] -%}
        {%- set args = "ref('" ~ upstream ~ "'), '" ~ month_column ~ "', '" ~ load_column ~ "', '" ~ this_load_column
                       ~ "', '" ~ this_month ~ "'" -%}
        {%- set hooks = ["{{ tl_drop_unloaded_months('" ~ this_month ~ "') }}",
                         "{{ tl_record_rebuilt_days(" ~ args ~ ") }}",
                         "{{ tl_drop_reprocessed_days(" ~ args ~ ") }}"] -%}
        {{ config(
            materialized='incremental',
            incremental_strategy='delete+insert',
            unique_key='event_date',
            on_schema_change='fail',
            pre_hook=hooks,
            meta={'tl_month_column': this_month},
        ) }}
    {%- endif -%}
{%- endmacro %}

{#-
  Subquery body (one `day` column): the days whose rows differ between `upstream` and this model, by the sum of
  attempts_checksum per event_date on both sides (rule 1 above).
-#}
{% macro tl_changed_days(upstream) -%}
    select coalesce(fresh.day, built.day) as day
    from (
        select event_date as day, sum(cast(attempts_checksum as {{ tl_wide_int_type() }})) as checksum
        from {{ upstream }} group by 1
    ) as fresh
    full outer join (
        select event_date as day, sum(cast(attempts_checksum as {{ tl_wide_int_type() }})) as checksum
        from {{ this }} group by 1
    ) as built
        on fresh.day = built.day
    where fresh.day is null or built.day is null or fresh.checksum <> built.checksum
{%- endmacro %}

{#-
  The predicate of the rows a per-event fact rebuilds, over the columns `day_column` and `month_column` of the
  relation it filters (the upstream's in the model's query, the model's own in its pre-hooks): on a day-grain
  target and an incremental run, the days of tl_changed_days and every day of the months of
  tl_reprocess_rule_months; every row on a full build. Elsewhere tl_reprocess_months_filter. Evaluated three
  times per run (record, drop, the query), it selects the same days each time: the drop empties days that
  already differ, and leaves every other day's sum as it was.
-#}
{% macro tl_reprocess_days_filter(upstream, month_column='month', load_column='last_load_id', this_load_column='last_load_id',
                                  this_month_column=none, day_column='event_date', filtered_month_column=none) -%}
    {%- set this_month = this_month_column or month_column -%}
    {%- if not tl_day_grain() -%}
        {{ tl_reprocess_months_filter(upstream, month_column, load_column, this_load_column, this_month) }}
    {%- elif is_incremental() -%}
        ({{ day_column }} in ({{ tl_changed_days(upstream) }})
            or {{ filtered_month_column or month_column }} in ({{ tl_reprocess_rule_months(upstream, month_column, this_month, true) }}))
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#-
  Pre-hook (the second of tl_event_fact_config's): record in raw.build_months the months of the days this run
  rebuilds, from the upstream rows it reads and from the model's own rows it replaces (a day can come out empty),
  and the months unloaded loads touched; one row with a NULL month on a full build.
-#}
{% macro tl_record_rebuilt_days(upstream, month_column, load_column, this_load_column, this_month_column) -%}
    {%- set rebuilt -%}
        select {{ month_column }} as month from {{ upstream }}
        where {{ tl_reprocess_days_filter(upstream, month_column, load_column, this_load_column, this_month_column) }}
        union
        select built.{{ this_month_column }} as month from {{ this }} as built
        where {{ tl_reprocess_days_filter(upstream, month_column, load_column, this_load_column, this_month_column,
                                          'built.event_date', 'built.' ~ this_month_column) }}
    {%- endset -%}
    {{ tl_record_months(rebuilt) }}
{%- endmacro %}

{#- Pre-hook (the last of tl_event_fact_config's): on an incremental run, delete the days this run rebuilds. -#}
{% macro tl_drop_reprocessed_days(upstream, month_column, load_column, this_load_column, this_month_column) -%}
    {%- if is_incremental() -%}
        {{ tl_delete_rows(this, tl_reprocess_days_filter(upstream, month_column, load_column, this_load_column, this_month_column,
                                                         'event_date', this_month_column)) }}
    {%- endif -%}
{%- endmacro %}
