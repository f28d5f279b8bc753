{#- How a shared agent's cost is split (org/shared_agent_rules.csv): even, headcount, usage or fixed. -#}
{{ tl_org_seed_model('shared_agent_rules', {
    'agent': 'id',
    'method': 'id',
    'effective_from': ['date', "coalesce({}, cast('1900-01-01' as date))"],
}) }}
