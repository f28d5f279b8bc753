{#-
  Coverage of the request ledger, per provider x UTC day x model: tokens in fct_usage_events
  (every input and output bucket, audio included) against the tokens the provider's own usage
  report gives (fct_provider_usage_daily), and coverage_pct = ledger / reported x 100 (4 decimals,
  truncated). A missing log source shows as coverage well under 100 % days before month end.
  Models are matched as written, case-insensitively. Rows exist for every (provider, day, model)
  seen on either side, for the days a provider's usage report covers (has results for); status:
  covered, partial (ledger below the report), over (above), not_in_report, not_in_ledger.
-#}
with

events as (

    select * from {{ ref('fct_usage_events') }}

),

reported as (

    select * from {{ ref('fct_provider_usage_daily') }}

),

report_days as (

    -- the (provider, day) pairs a usage report covers: only those can be compared
    select distinct
        provider,
        usage_date
    from reported

),

ledger as (

    select
        events.provider,
        cast({{ dbt.date_trunc('day', 'events.occurred_at') }} as date) as usage_date,
        lower(events.model_requested) as model,
        count(*) as ledger_events,
        sum(
            events.uncached_input_tokens + events.cache_read_tokens + events.cache_write_5m_tokens
            + events.cache_write_1h_tokens + events.output_tokens + events.input_audio_tokens
            + events.output_audio_tokens
        ) as ledger_tokens
    from events
    inner join report_days
        on events.provider = report_days.provider
            and cast({{ dbt.date_trunc('day', 'events.occurred_at') }} as date) = report_days.usage_date
    group by 1, 2, 3

),

report as (

    select
        provider,
        usage_date,
        lower(model) as model,
        sum(requests) as reported_requests,
        sum(total_tokens) as reported_tokens
    from reported
    group by 1, 2, 3

),

joined as (

    select
        coalesce(ledger.provider, report.provider) as provider,
        coalesce(ledger.usage_date, report.usage_date) as usage_date,
        coalesce(ledger.model, report.model) as model,
        coalesce(ledger.ledger_events, 0) as ledger_events,
        coalesce(ledger.ledger_tokens, 0) as ledger_tokens,
        report.reported_requests,
        coalesce(report.reported_tokens, 0) as reported_tokens,
        report.provider is not null as in_report
    from ledger
    full outer join report
        on ledger.provider = report.provider
            and ledger.usage_date = report.usage_date
            and ledger.model = report.model

),

final as (

    select
        {{ tl_key(['provider', 'usage_date', 'model']) }} as coverage_key,
        provider,
        usage_date,
        model,
        ledger_events,
        reported_requests,
        ledger_tokens,
        reported_tokens,
        reported_tokens - ledger_tokens as missing_tokens,
        {{ tl_percent('ledger_tokens', 'reported_tokens') }} as coverage_pct,
        case
            when not in_report then 'not_in_report'
            when ledger_tokens = 0 then 'not_in_ledger'
            when ledger_tokens = reported_tokens then 'covered'
            when ledger_tokens < reported_tokens then 'partial'
            else 'over'
        end as coverage_status
    from joined

)

select * from final
