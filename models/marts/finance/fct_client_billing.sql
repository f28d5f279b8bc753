{#-
  Client (agency) billing: customer x month for every customer tag with usage. Each event is billed
  under the org/client_rates.csv row in force on its UTC date:
  - token_rate: (input + output tokens) x rate_per_million_tokens / 1M (billable even when unpriced);
  - markup:     effective cost x (1 + markup_pct / 100);
  - at_cost:    the rate row sets neither: billed at effective cost;
  - no_rate:    no row in force: the event is not billed (counted in unbilled_events; billed_usd is
                NULL when no event of the month had a rate), never a silent $0.
  An unpriced event under a cost-based method cannot be billed either (unbilled_events).
  margin_usd = billed - effective cost; margin_pct relative to billed (4 decimals, truncated).
  billing_method is `mixed` when a month's events were billed under different methods.
  Customers compare trimmed and lower-cased. cost_usd ties to fct_team_monthly_spend (tested).
-#}
with

events as (

    select * from {{ ref('fct_usage_events') }}
    where {{ tl_normalize_id('customer') }} is not null

),

rates as (

    select * from {{ ref('stg_org__client_rates') }}

),

rate_periods as (

    select
        customer,
        markup_pct,
        rate_per_million_tokens,
        billing_method,
        cast(cast(1 as decimal(12, 6)) + markup_pct * cast(0.01 as decimal(3, 2)) as decimal(12, 6)) as markup_factor,
        effective_from as valid_from,
        {{ tl_valid_to('customer') }} as valid_to
    from rates

),

billed_events as (

    select
        {{ tl_normalize_id('events.customer') }} as customer,
        events.month,
        events.event_key,
        events.cost_usd,
        events.list_cost_usd,
        events.input_tokens + events.output_tokens as tokens,
        coalesce(rate_periods.billing_method, 'no_rate') as billing_method,
        case
            when rate_periods.billing_method = 'token_rate'
                then {{ tl_cost('events.input_tokens + events.output_tokens', 'rate_periods.rate_per_million_tokens', 1000000) }}
            when rate_periods.billing_method = 'markup'
                then {{ tl_scale_money('events.cost_usd', 'rate_periods.markup_factor') }}
            when rate_periods.billing_method = 'at_cost'
                then events.cost_usd
        end as billed_usd,
        rate_periods.billing_method is not null and rate_periods.billing_method <> 'token_rate' and events.cost_usd is null
            as is_unbillable_unpriced
    from events
    left join rate_periods
        on {{ tl_normalize_id('events.customer') }} = rate_periods.customer
            and {{ tl_in_force('cast(events.occurred_at as date)', 'rate_periods') }}

),

per_customer as (

    select
        customer,
        month,
        count(*) as events,
        sum(tokens) as tokens,
        sum(case when cost_usd is null then 1 else 0 end) as unpriced_events,
        sum(case when billing_method = 'no_rate' or is_unbillable_unpriced then 1 else 0 end) as unbilled_events,
        coalesce(sum(cost_usd), 0) as cost_usd,
        coalesce(sum(list_cost_usd), 0) as list_cost_usd,
        case when sum(case when billing_method <> 'no_rate' then 1 else 0 end) > 0 then coalesce(sum(billed_usd), 0) end
            as billed_usd,
        case when min(billing_method) = max(billing_method) then min(billing_method) else 'mixed' end as billing_method
    from billed_events
    group by customer, month

),

final as (

    select
        {{ tl_key(['customer', 'month']) }} as client_billing_key,
        customer,
        month,
        events,
        tokens,
        unpriced_events,
        unbilled_events,
        billing_method,
        cost_usd,
        list_cost_usd,
        billed_usd,
        billed_usd - cost_usd as margin_usd,
        {{ tl_money_percent('billed_usd - cost_usd', 'billed_usd') }} as margin_pct
    from per_customer

)

select * from final
