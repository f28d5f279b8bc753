{#-
  External team identifiers mapped to ours (org/team_aliases.csv): `source` is litellm (a LiteLLM
  team_id, used as the team tag of its spend logs), openai (an OpenAI project_id) or anthropic (an
  Anthropic workspace_id), both for the report-level attribution of the providers' own reports.
  External ids are matched exactly (trimmed; OpenAI ids are case-sensitive); team ids are normalised.
-#}
{{ tl_org_seed_model('team_aliases', {
    'source': 'id',
    'external_id': ['varchar', "nullif(trim({}), '')"],
    'team_id': 'id',
}) }}
