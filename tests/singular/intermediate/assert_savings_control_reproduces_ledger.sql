{#-
  The what-if engine and the ledger cannot drift: every catalog-priced event, repriced on its own
  model and context by int_savings_scenarios (opportunity as_billed), costs exactly its ledger list
  cost (int_usage_events). Lists the events that differ or are missing.
-#}
with

events as (

    select * from {{ ref('int_usage_events') }}
    where price_source = 'catalog'

),

controls as (

    select * from {{ ref('int_savings_scenarios') }}
    where opportunity = 'as_billed'

),

final as (

    select
        events.event_key,
        events.list_cost_usd,
        controls.whatif_list_cost_usd
    from events
    left join controls
        on events.event_key = controls.event_key
    where controls.whatif_list_cost_usd is null
        or controls.whatif_list_cost_usd <> events.list_cost_usd
        or controls.baseline_list_cost_usd <> events.list_cost_usd

)

select * from final
