{#-
  Approved restatements of closed months (org/restatements.csv): month, reason, approved_by and the
  optional restated_on. Each row publishes one new version of the month; restatement_seq orders a
  month's restatements within the seed (by restated_on, then reason). The version numbers are given
  at publication (published_team_monthly_spend), in the order the restatements were made.
-#}
with

source as (

    select * from {{ ref('restatements') }}

),

typed as (

    select
        {{ tl_parse_month(tl_seed_column(ref('restatements'), 'month', 'varchar')) }} as month,
        trim({{ tl_seed_column(ref('restatements'), 'reason', 'varchar') }}) as reason,
        trim({{ tl_seed_column(ref('restatements'), 'approved_by', 'varchar') }}) as approved_by,
        {{ tl_seed_column(ref('restatements'), 'restated_on', 'date') }} as restated_on
    from source

),

final as (

    select
        month,
        reason,
        approved_by,
        restated_on,
        row_number() over (partition by month order by restated_on asc nulls last, reason asc) as restatement_seq
    from typed

)

select * from final
