{#- API keys (org/api_keys.csv): team keys name a team, personal keys an owner. -#}
{{ tl_org_seed_model('api_keys', {
    'api_key_id': 'id',
    'key_kind': 'id',
    'team_id': 'id',
    'owner_email': 'id',
}) }}
