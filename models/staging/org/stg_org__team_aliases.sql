{#-
  External team identifiers mapped to ours (org/team_aliases.csv): `source` is litellm (a LiteLLM
  team_id, used as the team tag of its spend logs), openai (an OpenAI project_id) or anthropic (an
  Anthropic workspace_id), both for the report-level attribution of the providers' own reports.
  External ids are matched exactly (trimmed; OpenAI ids are case-sensitive); team ids are normalised.
-#}
with

source as (

    select * from {{ ref('team_aliases') }}

),

final as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('team_aliases'), 'source', 'varchar')) }} as source,
        nullif(trim({{ tl_seed_column(ref('team_aliases'), 'external_id', 'varchar') }}), '') as external_id,
        {{ tl_normalize_id(tl_seed_column(ref('team_aliases'), 'team_id', 'varchar')) }} as team_id
    from source

)

select * from final
