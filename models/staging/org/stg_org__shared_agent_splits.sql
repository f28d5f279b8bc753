{#- Participants of a shared agent's split (org/shared_agent_splits.csv); percent only for `fixed`. -#}
{{ tl_org_seed_model('shared_agent_splits', {
    'agent': 'id',
    'team_id': 'id',
    'percent': 'decimal(9, 4)',
    'effective_from': ['date', "coalesce({}, cast('1900-01-01' as date))"],
}) }}
