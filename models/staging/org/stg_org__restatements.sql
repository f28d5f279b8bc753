{#-
  Approved restatements of closed months (seeds/restatements.csv): month, reason, approved_by and the
  optional restated_on. Each row publishes one new version of the month; restatement_seq orders a
  month's restatements (by restated_on, then reason) and publication_version = restatement_seq + 1
  (version 1 is the close itself).
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

numbered as (

    select
        month,
        reason,
        approved_by,
        restated_on,
        row_number() over (partition by month order by restated_on asc nulls last, reason asc) as restatement_seq
    from typed

),

final as (

    select
        *,
        restatement_seq + 1 as publication_version
    from numbered

)

select * from final
