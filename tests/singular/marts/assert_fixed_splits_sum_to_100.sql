{#-
  Configuration check: every participant set in force while a shared agent's rule is `fixed` has a
  percent on every row, and the percents sum to exactly 100.
-#}
with

rules as (
    select * from {{ ref('int_shared_agent_rules_versioned') }}
),

splits as (
    select * from {{ ref('stg_org__shared_agent_splits') }}
),

split_sets as (
    select
        agent,
        effective_from,
        lead(effective_from) over (partition by agent order by effective_from) as next_effective_from
    from (
        select distinct
            agent,
            effective_from
        from splits
    ) as distinct_sets
),

-- The split sets that are in force at some moment of a fixed rule's period.
fixed_sets as (
    select distinct
        rules.agent,
        split_sets.effective_from
    from rules
    inner join split_sets
        on rules.agent = split_sets.agent
            and (rules.valid_to is null or rules.valid_to > split_sets.effective_from)
            and (split_sets.next_effective_from is null or rules.valid_from < split_sets.next_effective_from)
    where rules.method = 'fixed'
),

checked as (
    select
        fixed_sets.agent,
        fixed_sets.effective_from,
        sum(splits.percent) as percent_total,
        sum(case when splits.percent is null then 1 else 0 end) as blank_percents
    from fixed_sets
    inner join splits
        on fixed_sets.agent = splits.agent
            and fixed_sets.effective_from = splits.effective_from
    group by fixed_sets.agent, fixed_sets.effective_from
)

select * from checked
where blank_percents > 0 or percent_total <> 100
