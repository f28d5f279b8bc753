-- noqa: disable=RF06,RF03
-- (RF06: FOCUS names must stay quoted to keep their case on every engine; RF03: the Tags macro's lambda reads as a qualified reference)
{{ config(materialized='view') }}
{#-
  The cost ledger in the shape of FinOps FOCUS 1.2 (Cost and Usage dataset), for FinOps tools that
  read FOCUS. One row per charge: UTC day x team (the allocation's payer) x provider x model x agent x
  project x environment x customer x allocation basis, from fct_cost_allocations (so BilledCost sums
  to fct_team_monthly_spend per team and month, exactly). Usage charges only (ChargeCategory Usage);
  costs are the allocated effective cost (list less the negotiated discount in force), ListCost the
  allocated list cost. Token counts are ConsumedQuantity (Tokens) and PricingQuantity (1M Tokens);
  our buckets and the allocation basis are x_ columns. Unpriced usage has NULL costs (never $0).
  A view: it is an export, read when exported (tokenledger/export.py --focus), not a second copy.
-#}
with

allocations as (

    select * from {{ ref('fct_cost_allocations') }}

),

events as (

    select * from {{ ref('fct_usage_events') }}

),

teams as (

    select * from {{ ref('dim_teams') }}

),

joined as (

    select
        allocations.team_id,
        allocations.basis,
        allocations.confidence,
        allocations.allocated_cost_usd,
        allocations.allocated_list_cost_usd,
        allocations.share,
        cast({{ dbt.date_trunc('day', 'events.occurred_at') }} as date) as charge_date,
        events.month,
        coalesce(events.provider, '(unknown)') as provider,
        coalesce(events.model_id, events.model_requested, '(unknown)') as model,
        events.agent,
        events.project,
        events.environment,
        events.customer,
        events.uncached_input_tokens,
        events.cache_read_tokens,
        events.cache_write_5m_tokens,
        events.cache_write_1h_tokens,
        events.output_tokens,
        events.reasoning_tokens,
        events.input_audio_tokens,
        events.output_audio_tokens,
        events.web_search_requests
    from allocations
    inner join events
        on allocations.event_key = events.event_key

),

charges as (

    -- tokens follow the allocation share (a shared agent's call is split like its cost), exact to 1e-6
    select
        charge_date,
        month,
        team_id,
        provider,
        model,
        agent,
        project,
        environment,
        customer,
        basis,
        min(confidence) as confidence,
        count(*) as allocations,
        sum(allocated_cost_usd) as billed_cost,
        sum(allocated_list_cost_usd) as list_cost,
        {%- for bucket in ['uncached_input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens',
            'output_tokens', 'reasoning_tokens', 'input_audio_tokens', 'output_audio_tokens', 'web_search_requests'] %}
            cast(sum({{ bucket }} * share) as decimal(38, 6)) as {{ bucket }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from joined
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10

),

named as (

    select
        charges.*,
        coalesce(teams.team_name, charges.team_id) as team_name
    from charges
    left join teams
        on charges.team_id = teams.team_id

),

final as (

    -- FOCUS names are PascalCase: quoted, so every engine keeps their case
    select
        -- costs (FOCUS: Decimal, in BillingCurrency)
        billed_cost as {{ adapter.quote('BilledCost') }},
        billed_cost as {{ adapter.quote('EffectiveCost') }},
        list_cost as {{ adapter.quote('ListCost') }},
        billed_cost as {{ adapter.quote('ContractedCost') }},
        'USD' as {{ adapter.quote('BillingCurrency') }},
        -- accounts: the provider bills the organisation; the team is the sub-account it is charged back to
        'tokenledger' as {{ adapter.quote('BillingAccountId') }},
        'tokenledger' as {{ adapter.quote('BillingAccountName') }},
        team_id as {{ adapter.quote('SubAccountId') }},
        team_name as {{ adapter.quote('SubAccountName') }},
        -- periods (FOCUS: inclusive start, exclusive end, UTC)
        cast(month as timestamp) as {{ adapter.quote('BillingPeriodStart') }},
        cast({{ dbt.dateadd('month', 1, 'month') }} as timestamp) as {{ adapter.quote('BillingPeriodEnd') }},
        cast(charge_date as timestamp) as {{ adapter.quote('ChargePeriodStart') }},
        cast({{ dbt.dateadd('day', 1, 'charge_date') }} as timestamp) as {{ adapter.quote('ChargePeriodEnd') }},
        -- the charge
        'Usage' as {{ adapter.quote('ChargeCategory') }},
        cast(null as {{ api.Column.translate_type('string') }}) as {{ adapter.quote('ChargeClass') }},
        {{ dbt.concat(["'Tokens on '", 'model', "' ('", 'provider', "')'"]) }} as {{ adapter.quote('ChargeDescription') }},
        'Usage-Based' as {{ adapter.quote('ChargeFrequency') }},
        'Standard' as {{ adapter.quote('PricingCategory') }},
        -- quantities: tokens of every bucket (audio and web searches are in the x_ columns)
        uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens + output_tokens
            as {{ adapter.quote('ConsumedQuantity') }},
        'Tokens' as {{ adapter.quote('ConsumedUnit') }},
        cast(
            (uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens + output_tokens)
            * cast(0.000001 as decimal(7, 6)) as decimal(38, 12)
        ) as {{ adapter.quote('PricingQuantity') }},
        '1M Tokens' as {{ adapter.quote('PricingUnit') }},
        -- who: the model provider sells and invoices the service (direct API usage)
        provider as {{ adapter.quote('ProviderName') }},
        provider as {{ adapter.quote('PublisherName') }},
        provider as {{ adapter.quote('InvoiceIssuerName') }},
        'AI and Machine Learning' as {{ adapter.quote('ServiceCategory') }},
        'Generative AI' as {{ adapter.quote('ServiceSubcategory') }},
        {{ dbt.concat(['provider', "' '", 'model']) }} as {{ adapter.quote('ServiceName') }},
        {{ dbt.concat(['provider', "'/'", 'model']) }} as {{ adapter.quote('SkuId') }},
        'Tokens' as {{ adapter.quote('SkuMeter') }},
        {{ tl_json_object({
            'team': 'team_id', 'project': 'project', 'environment': 'environment',
            'customer': 'customer', 'agent': 'agent'
        }) }} as {{ adapter.quote('Tags') }},
        -- ours (after the FOCUS columns, x_ prefixed)
        {{ tl_key(['charge_date', 'team_id', 'provider', 'model', 'agent', 'project', 'environment', 'customer', 'basis']) }}
            as x_charge_key,
        team_id as x_team_id,
        basis as x_allocation_basis,
        confidence as x_confidence,
        allocations as x_allocations,
        uncached_input_tokens as x_uncached_input_tokens,
        cache_read_tokens as x_cache_read_tokens,
        cache_write_5m_tokens as x_cache_write_5m_tokens,
        cache_write_1h_tokens as x_cache_write_1h_tokens,
        output_tokens as x_output_tokens,
        reasoning_tokens as x_reasoning_tokens,
        input_audio_tokens as x_input_audio_tokens,
        output_audio_tokens as x_output_audio_tokens,
        web_search_requests as x_web_search_requests
    from named

)

select * from final
