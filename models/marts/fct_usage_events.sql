{{ tl_month_fact_config('int_usage_events') }}
{#-
  One row per logical usage event, published: the canonical events of int_usage_events (where the
  roll-up of attempts, pricing and discounts is documented), the months it rebuilt this run.
-#}
with

final as (

    select * from {{ ref('int_usage_events') }}
    where {{ tl_reprocess_months_filter(ref('int_usage_events'), 'month', 'last_load_id', 'last_load_id') }}

)

-- the published copy: every column of the intermediate model, as documented in its yml
select * from final  -- noqa: AM04
{{ tl_month_clustered() }}
