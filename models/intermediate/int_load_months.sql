{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false, on_schema_change='fail') }}
{#-
  Which months each load's attempts reached in the ledger: one row per (load, event month), appended
  as the builds see them and never forgotten (not even by `dbt build --full-refresh`), so that once a
  load is unloaded (raw.load_unloads) its rows are gone from staging but its months are still known:
  the incremental facts reprocess them (tl_drop_unloaded_months, tl_reprocess_months_filter) and
  audit.unloaded_loads lists them. A load whose every attempt lost the dedupe to another copy has no
  row until its copies win (then it has).
-#}
with

attempts as (

    select distinct
        load_id,
        event_month as month
    from {{ ref('int_usage_attempts_unioned') }}
    where load_id is not null and event_month is not null

),

final as (

    select
        {{ tl_key(['attempts.load_id', 'attempts.month']) }} as load_month_key,
        attempts.load_id,
        attempts.month
    from attempts
    {%- if is_incremental() %}
        where not exists (
            select 1
            from {{ this }} as seen
            where seen.load_id = attempts.load_id
                and seen.month = attempts.month
        )
    {%- endif %}

)

select * from final
