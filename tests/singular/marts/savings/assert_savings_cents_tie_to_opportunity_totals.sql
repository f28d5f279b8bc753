{#-
  Published savings cents tie: within a month, each opportunity's team rows sum to its total
  saving rounded half-up to the cent, and every team's saving is at most its baseline cost.
-#}
with

opportunities as (

    select * from {{ ref('rpt_savings_opportunities') }}

),

totals as (

    select
        month,
        opportunity,
        opportunity_key,
        sum(saving_cents) as saving_cents,
        cast(floor(sum(saving_usd) * 100 + cast(0.5 as decimal(2, 1))) as bigint) as expected_cents,
        max(case when saving_usd > baseline_cost_usd or saving_usd <= 0 then 1 else 0 end) as out_of_range
    from opportunities
    group by month, opportunity, opportunity_key

),

final as (

    select * from totals
    where saving_cents <> expected_cents or out_of_range = 1

)

select * from final
