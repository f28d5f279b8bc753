{#- Agent ownership (org/agent_directory.csv): blank team_id = a shared agent. Missing effective_from = always. -#}
{{ tl_org_seed_model('agent_directory', {
    'agent': 'id',
    'team_id': 'id',
    'effective_from': ['date', "coalesce({}, cast('1900-01-01' as date))"],
}) }}
