{#-
  Teams (org/teams.csv). Ids are trimmed and lower-cased; merged_into / merged_on /
  peer_group are optional columns (NULL when absent).
-#}
{{ tl_org_seed_model('teams', {
    'team_id': 'id',
    'team_name': ['varchar', "nullif(trim({}), '')"],
    'cost_center': ['varchar', "nullif(trim({}), '')"],
    'merged_into': 'id',
    'merged_on': 'date',
    'peer_group': 'id',
}) }}
