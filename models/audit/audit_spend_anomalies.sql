{{ config(alias='spend_anomalies') }}
{#-
  Runaway spend, seen the next morning rather than at month close. Two kinds of rows:
  - daily_spike: a team's spend on a UTC day above var('anomaly_multiple') (default 3) times the
    median of its daily spend over the previous 28 days (days without spend count as $0), and at
    least var('anomaly_min_usd') (default 5). A team needs var('anomaly_min_baseline_days') (default 7)
    days of history (since its first spend) before it can be flagged.
  - outlier_request: each month's var('anomaly_top_requests') (default 5) most expensive events,
    with the agent, model and token buckets, and the team that pays most of each.
  Effective cost (after negotiated discounts), from the allocations (after subsidy).
  A kept table (macros/incremental/kept_tables.sql): rebuilt whole when what it reads changed, kept otherwise.
-#}
{{ tl_kept_table_config() }}
{%- set multiple = var('anomaly_multiple', 3) -%}
{%- set min_usd = var('anomaly_min_usd', 5) -%}
{%- set min_days = var('anomaly_min_baseline_days', 7) -%}
{%- set top_requests = var('anomaly_top_requests', 5) -%}
with

allocations as (

    select * from {{ ref('fct_cost_allocations') }}

),

events as (

    select * from {{ ref('int_usage_events') }}

),

daily as (

    select
        team_id,
        cast(occurred_at as date) as day,
        coalesce(sum(allocated_cost_usd), 0) as spend_usd
    from allocations
    group by team_id, cast(occurred_at as date)

),

team_ranges as (

    select
        team_id,
        min(day) as first_day
    from daily
    group by team_id

),

last_day as (

    select max(day) as last_day from daily

),

digits as (

    {%- for digit in range(10) %}
        select {{ digit }} as d{{ " union all" if not loop.last }}
    {%- endfor %}

),

offsets as (

    -- 0 .. 99,999 days: enough for any history.
    select ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d + 10000 * tenthousands.d as n
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as tenthousands

),

team_days as (

    select
        team_ranges.team_id,
        team_ranges.first_day,
        cast({{ dbt.dateadd('day', 'offsets.n', 'team_ranges.first_day') }} as date) as day
    from team_ranges
    cross join last_day
    inner join offsets
        on offsets.n <= {{ dbt.datediff('team_ranges.first_day', 'last_day.last_day', 'day') }}

),

dense as (

    select
        team_days.team_id,
        team_days.first_day,
        team_days.day,
        coalesce(daily.spend_usd, 0) as spend_usd
    from team_days
    left join daily
        on team_days.team_id = daily.team_id
            and team_days.day = daily.day

),

baselines as (

    select
        current_day.team_id,
        current_day.day,
        current_day.spend_usd,
        count(history.day) as baseline_days,
        {{ tl_median('history.spend_usd') }} as baseline_median_usd
    from dense as current_day
    left join dense as history
        on current_day.team_id = history.team_id
            and current_day.day > history.day
            and history.day >= cast({{ dbt.dateadd('day', -28, 'current_day.day') }} as date)
    group by current_day.team_id, current_day.day, current_day.spend_usd

),

daily_spikes as (

    select
        'daily_spike' as anomaly_kind,
        team_id,
        day,
        spend_usd,
        cast(baseline_median_usd as {{ tl_money_type() }}) as baseline_median_usd,
        baseline_days,
        cast(null as {{ api.Column.translate_type('string') }}) as event_key,
        cast(null as integer) as cost_rank
    from baselines
    where baseline_days >= {{ min_days }}
        and spend_usd >= cast({{ min_usd }} as decimal(18, 6))
        and spend_usd > cast(baseline_median_usd as {{ tl_money_type() }}) * cast({{ multiple }} as decimal(9, 4))

),

event_payers as (

    select
        event_key,
        team_id,
        row_number() over (partition by event_key order by share desc, team_id asc) as payer_rank
    from allocations

),

ranked_events as (

    select
        events.event_key,
        events.month,
        events.cost_usd,
        cast(events.occurred_at as date) as day,
        row_number() over (partition by events.month order by events.cost_usd desc, events.event_key asc) as cost_rank
    from events
    where events.cost_usd > 0

),

outlier_requests as (

    select
        'outlier_request' as anomaly_kind,
        event_payers.team_id,
        ranked_events.day,
        ranked_events.cost_usd as spend_usd,
        cast(null as {{ tl_money_type() }}) as baseline_median_usd,
        cast(null as bigint) as baseline_days,
        ranked_events.event_key,
        cast(ranked_events.cost_rank as integer) as cost_rank
    from ranked_events
    inner join event_payers
        on ranked_events.event_key = event_payers.event_key
            and event_payers.payer_rank = 1
    where ranked_events.cost_rank <= {{ top_requests }}

),

anomalies as (

    select * from daily_spikes
    union all
    select * from outlier_requests

),

final as (

    select
        {{ tl_key(['anomalies.anomaly_kind', 'anomalies.team_id', 'anomalies.day', 'anomalies.event_key']) }} as anomaly_key,
        anomalies.anomaly_kind,
        {{ tl_month('anomalies.day') }} as month,
        anomalies.day,
        anomalies.team_id,
        anomalies.spend_usd,
        anomalies.baseline_median_usd,
        anomalies.baseline_days,
        {{ tl_money_percent('anomalies.spend_usd', 'anomalies.baseline_median_usd') }} as spend_vs_baseline_pct,
        anomalies.cost_rank,
        anomalies.event_key,
        events.agent,
        events.provider,
        events.model_id,
        events.uncached_input_tokens,
        events.cache_read_tokens,
        events.cache_write_5m_tokens + events.cache_write_1h_tokens as cache_write_tokens,
        events.output_tokens,
        events.reasoning_tokens,
        events.attempts
    from anomalies
    left join events
        on anomalies.event_key = events.event_key

)

select * from final
{{ tl_no_rows_when_kept() }}
