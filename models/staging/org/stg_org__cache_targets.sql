{#-
  Cache-read share targets (org/cache_targets.csv) per provider and catalog model; a blank or `*`
  model is provider-wide (model NULL here). target_share = target_cache_read_pct / 100, exact at
  scale 6 (computed by multiplication, never DECIMAL / DECIMAL).
-#}
with

source as (

    select * from {{ ref('cache_targets') }}

),

typed as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('cache_targets'), 'provider', 'varchar')) }} as provider,
        nullif({{ tl_normalize_id(tl_seed_column(ref('cache_targets'), 'model', 'varchar')) }}, '*') as model,
        {{ tl_seed_column(ref('cache_targets'), 'target_cache_read_pct', 'decimal(9, 4)') }} as target_cache_read_pct,
        {{ tl_seed_column(ref('cache_targets'), 'note', 'varchar') }} as note
    from source

),

final as (

    select
        provider,
        model,
        target_cache_read_pct,
        cast(target_cache_read_pct * cast(0.01 as decimal(3, 2)) as decimal(12, 6)) as target_share,
        note
    from typed

)

select * from final
