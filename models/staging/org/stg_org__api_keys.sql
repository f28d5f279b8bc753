{#- API keys (org/api_keys.csv): team keys name a team, personal keys an owner. -#}
with

source as (

    select * from {{ ref('api_keys') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('api_keys'), 'api_key_id', 'varchar')) }} as api_key_id,
        {{ tl_normalize_id(tl_seed_column(ref('api_keys'), 'key_kind', 'varchar')) }} as key_kind,
        {{ tl_normalize_id(tl_seed_column(ref('api_keys'), 'team_id', 'varchar')) }} as team_id,
        {{ tl_normalize_id(tl_seed_column(ref('api_keys'), 'owner_email', 'varchar')) }} as owner_email
    from source

)

select * from final
