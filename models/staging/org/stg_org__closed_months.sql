{#- Closed months (org/closed_months.csv): month (YYYY-MM or a date in it), closed_on, closed_by. -#}
{{ tl_org_seed_model('closed_months', {
    'month': ['varchar', tl_parse_month('{}')],
    'closed_on': 'date',
    'closed_by': ['varchar', 'trim({})'],
}) }}
