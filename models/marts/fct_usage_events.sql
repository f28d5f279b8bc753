{{ config(materialized='incremental', incremental_strategy=tl_month_strategy(), unique_key='month',
          partition_by=tl_month_partition('month'), on_schema_change='fail',
          pre_hook="{{ tl_drop_unloaded_months('month') }}") }}
{#-
  One row per logical usage event, published: the canonical events of int_usage_events (where the
  roll-up of attempts, pricing and discounts is documented), the months it rebuilt this run.
-#}
with

final as (

    -- depends_on: {{ ref('stg_org__closed_months') }}, {{ ref('int_load_months') }},
    -- {{ ref('stg_ingest__load_unloads') }}, {{ ref('int_config_fingerprints') }} (read by the incremental filter and the pre-hook)
    select * from {{ ref('int_usage_events') }}
    where {{ tl_reprocess_months_filter(ref('int_usage_events'), 'month', 'last_load_id', 'last_load_id') }}

)

-- the published copy: every column of the intermediate model, as documented in its yml
select * from final  -- noqa: AM04
