{#- Headcount per team and month (org/team_headcount.csv), for headcount-weighted splits. -#}
{{ tl_org_seed_model('team_headcount', {
    'team_id': 'id',
    'month': ['date', tl_month('{}')],
    'headcount': 'integer',
}) }}
