{#-
  Batch-eligible work (org/batch_eligible.csv): agent, team and environment, each NULL when blank
  (= any). Ids trimmed and lower-cased, as usage and the other org files are compared.
-#}
with

source as (

    select * from {{ ref('batch_eligible') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('batch_eligible'), 'agent', 'varchar')) }} as agent,
        {{ tl_normalize_id(tl_seed_column(ref('batch_eligible'), 'team_id', 'varchar')) }} as team_id,
        {{ tl_normalize_id(tl_seed_column(ref('batch_eligible'), 'environment', 'varchar')) }} as environment,
        {{ tl_seed_column(ref('batch_eligible'), 'note', 'varchar') }} as note
    from source

)

select * from final
