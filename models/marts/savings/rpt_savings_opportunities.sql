{#-
  What each team could save: one row per (month, team, opportunity, opportunity_key), from the
  events behind it (fct_savings_events). Every figure is priced by the ledger's pricing on the
  event's date (int_savings_scenarios); saving_usd is on the effective basis (negotiated discounts on
  both sides), saving_list_usd on list prices. saving_cents is the published figure: each
  opportunity's month total rounded half-up, split over the teams by largest remainder so the team
  rows tie to it. opportunity_rank orders a team's month by saving (1 = largest). Rules overlap and
  are estimates: a row says which rule, and its assumption, in words.
  Rebuilt a month at a time (tl_month_report_config).
-#}
{{ tl_month_report_config() }}
with

savings_events as (

    select * from {{ ref('fct_savings_events') }}
    where {{ tl_pending_months_filter() }}

),

grouped as (

    select
        month,
        team_id,
        opportunity,
        opportunity_key,
        count(distinct event_key) as events,
        sum(requests) as requests,
        sum(baseline_cost_usd) as baseline_cost_usd,
        sum(whatif_cost_usd) as whatif_cost_usd,
        sum(saving_usd) as saving_usd,
        sum(baseline_list_cost_usd) as baseline_list_cost_usd,
        sum(saving_list_usd) as saving_list_usd,
        max(case when whatif_cost_factor < 1 or baseline_cost_factor < 1 then 1 else 0 end) = 1 as is_discounted,
        max(event_saving_usd) as top_event_saving_usd
    from savings_events
    group by month, team_id, opportunity, opportunity_key

),

top_events as (

    -- The event with the largest saving of each row (then the lowest event id): an example to look at.
    select
        month,
        team_id,
        opportunity,
        opportunity_key,
        event_id as example_event_id
    from (
        select
            month,
            team_id,
            opportunity,
            opportunity_key,
            event_id,
            row_number() over (
                partition by month, team_id, opportunity, opportunity_key
                order by saving_usd desc, event_id asc
            ) as pick
        from savings_events
    ) as ranked
    where pick = 1

),

described as (

    select
        grouped.*,
        top_events.example_event_id,
        {{ tl_total_cents_half_up('grouped.saving_usd', 'grouped.month, grouped.opportunity, grouped.opportunity_key') }}
            as opportunity_total_cents,
        row_number() over (
            partition by grouped.month, grouped.team_id
            order by grouped.saving_usd desc, grouped.opportunity asc, grouped.opportunity_key asc
        ) as opportunity_rank,
        case grouped.opportunity
            when
                'batch'
                then 'Send batch-eligible work (org/batch_eligible.csv) through the batch API: the same requests at the batch price.'
            when
                'model_alternative'
                then 'Use the agreed substitute (org/model_substitutes.csv): the same usage priced on the substitute on the same date.'
            when 'cache' then 'Raise the cache-read share to the target (org/cache_targets.csv): that share of input read from the cache.'
            when 'long_context_cliff' then 'Keep requests under the tier threshold: the same tokens at the rates just under it.'
            when 'output_outlier' then 'Cap output-heavy requests at the agent''s output percentile for the month.'
            when 'retries_failures' then 'Avoid billed failures and retries: their whole cost.'
        end as rule_description,
        case grouped.opportunity
            when 'batch' then 'The work can wait for the batch window (up to 24 h); quality is the same model''s.'
            when
                'model_alternative'
                then 'The substitute does the job as well (the organisation''s judgement in the org file); token counts would be the same.'
            when
                'cache'
                then 'Prompt prefixes can be made reusable; cache writes and their premium are not counted, so this is an upper bound.'
            when 'long_context_cliff' then 'The input can be trimmed or split under the threshold without extra requests.'
            when 'output_outlier' then 'The output beyond the percentile was not needed; input and the request count stay the same.'
            when
                'retries_failures'
                then 'Every billed failure or superseded try was avoidable (better timeouts, validation, fewer retries).'
        end as assumption,
        case
            when grouped.is_discounted then 'effective: negotiated discounts applied to both sides'
            else 'effective (no discount applies: equal to list)'
        end as cost_basis
    from grouped
    inner join top_events
        on {{ tl_same_keys('grouped', 'top_events', ['month', 'team_id', 'opportunity', 'opportunity_key']) }}

),

distributed as (

    {{ tl_distribute_cents(
        'described', 'saving_usd', 'opportunity_total_cents', 'month, opportunity, opportunity_key', 'team_id',
        into='saving_cents'
    ) }}

),

final as (

    select
        month,
        team_id,
        opportunity,
        opportunity_key,
        opportunity_rank,
        rule_description,
        assumption,
        cost_basis,
        events,
        requests,
        baseline_cost_usd,
        whatif_cost_usd,
        saving_usd,
        saving_cents,
        baseline_list_cost_usd,
        saving_list_usd,
        example_event_id,
        top_event_saving_usd
    from distributed

)

select * from final
