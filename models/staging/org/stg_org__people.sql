{#- People (org/people.csv): a person's team from effective_from on. Missing effective_from = always. -#}
{{ tl_org_seed_model('people', {
    'email': 'id',
    'team_id': 'id',
    'effective_from': ['date', "coalesce({}, cast('1900-01-01' as date))"],
}) }}
