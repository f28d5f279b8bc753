{#-
  Provider invoice reconciliation: provider x month, for every month with usage or an invoice.
  Our computed list and effective cost (fct_usage_events) against what the provider billed: its
  cost report (fct_provider_costs_daily, summed over the month) when one was landed for that
  provider and month, else the invoice entered in org/provider_invoices.csv (invoice_source says
  which). variance_usd = invoiced - effective cost; variance_pct is relative
  to the invoice (4 decimals, truncated); within_tolerance compares |variance_pct| with
  var('invoice_tolerance_pct') (default 2). Unpriced events are counted: their cost is missing from
  ours, which is one reason an invoice can exceed the computed cost.
-#}
{%- set tolerance = var('invoice_tolerance_pct', 2) -%}
with

events as (

    select * from {{ ref('fct_usage_events') }}

),

seeded_invoices as (

    select * from {{ ref('stg_org__provider_invoices') }}

),

provider_costs as (

    select * from {{ ref('fct_provider_costs_daily') }}

),

reported as (

    select
        provider,
        {{ tl_month('cost_date') }} as month,
        -- an invoice-like figure: to the micro-dollar, like the invoices seed (cost reports carry cents or float dollars)
        cast(sum(billed_usd) as decimal(18, 6)) as invoiced_usd
    from provider_costs
    group by 1, 2

),

invoices as (

    select
        provider,
        month,
        invoiced_usd,
        'cost_report' as invoice_source
    from reported

    union all

    select
        seeded_invoices.provider,
        seeded_invoices.month,
        seeded_invoices.invoiced_usd,
        'invoice_seed' as invoice_source
    from seeded_invoices
    left join reported
        on seeded_invoices.provider = reported.provider
            and seeded_invoices.month = reported.month
    where reported.provider is null

),

computed as (

    select
        coalesce(provider, '(unknown)') as provider,
        month,
        count(*) as events,
        sum(case when cost_usd is null then 1 else 0 end) as unpriced_events,
        coalesce(sum(list_cost_usd), 0) as list_cost_usd,
        coalesce(sum(cost_usd), 0) as cost_usd
    from events
    group by 1, 2

),

joined as (

    select
        coalesce(computed.provider, invoices.provider) as provider,
        coalesce(computed.month, invoices.month) as month,
        coalesce(computed.events, 0) as events,
        coalesce(computed.unpriced_events, 0) as unpriced_events,
        coalesce(computed.list_cost_usd, cast(0 as {{ tl_money_type() }})) as list_cost_usd,
        coalesce(computed.cost_usd, cast(0 as {{ tl_money_type() }})) as cost_usd,
        invoices.invoiced_usd,
        invoices.invoice_source
    from computed
    full outer join invoices
        on computed.provider = invoices.provider
            and computed.month = invoices.month

),

measured as (

    select
        *,
        invoiced_usd - cost_usd as variance_usd,
        {{ tl_money_percent('invoiced_usd - cost_usd', 'invoiced_usd') }} as variance_pct
    from joined

),

final as (

    select
        {{ tl_key(['provider', 'month']) }} as reconciliation_key,
        provider,
        month,
        events,
        unpriced_events,
        list_cost_usd,
        cost_usd,
        invoiced_usd,
        invoice_source,
        variance_usd,
        variance_pct,
        cast({{ tolerance }} as decimal(9, 4)) as tolerance_pct,
        case
            when invoiced_usd is null then null
            when variance_pct is null then cost_usd = 0
            else abs(variance_pct) <= cast({{ tolerance }} as decimal(9, 4))
        end as within_tolerance,
        case
            when invoiced_usd is null then 'no_invoice'
            when events = 0 then 'no_usage'
            when variance_pct is null then case when cost_usd = 0 then 'matched' else 'over_tolerance' end
            when abs(variance_pct) <= cast({{ tolerance }} as decimal(9, 4)) then 'matched'
            else 'over_tolerance'
        end as reconciliation_status
    from measured

)

select * from final
