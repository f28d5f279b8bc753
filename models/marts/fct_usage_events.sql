{{ tl_event_fact_config('int_usage_events') }}
{#-
  One row per logical usage event, published: the canonical events of int_usage_events (where the
  roll-up of attempts, pricing and discounts is documented), the days it rebuilt this run
  (macros/incremental/day_facts.sql).
-#}
with

final as (

    select * from {{ ref('int_usage_events') }}
    where {{ tl_reprocess_days_filter(ref('int_usage_events'), 'month', 'last_load_id', 'last_load_id') }}

)

-- the published copy: every column of the intermediate model, as documented in its yml
select * from final  -- noqa: AM04
{{ tl_month_clustered('event_date') }}
