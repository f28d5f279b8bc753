{#-
  Acceptable model substitutes (org/model_substitutes.csv): from a provider's catalog model to
  another catalog model, optionally for one agent or one paying team. Ids trimmed and lower-cased;
  blank from_provider, to_provider, agent and team_id are NULL (any provider / the event's own model
  provider / any agent / any team).
-#}
with

source as (

    select * from {{ ref('model_substitutes') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('model_substitutes'), 'from_provider', 'varchar')) }} as from_provider,
        {{ tl_normalize_id(tl_seed_column(ref('model_substitutes'), 'from_model', 'varchar')) }} as from_model,
        {{ tl_normalize_id(tl_seed_column(ref('model_substitutes'), 'to_provider', 'varchar')) }} as to_provider,
        {{ tl_normalize_id(tl_seed_column(ref('model_substitutes'), 'to_model', 'varchar')) }} as to_model,
        {{ tl_normalize_id(tl_seed_column(ref('model_substitutes'), 'agent', 'varchar')) }} as agent,
        {{ tl_normalize_id(tl_seed_column(ref('model_substitutes'), 'team_id', 'varchar')) }} as team_id,
        {{ tl_seed_column(ref('model_substitutes'), 'note', 'varchar') }} as note
    from source

)

select * from final
