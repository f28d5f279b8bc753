{#- Provider invoice totals per month (org/provider_invoices.csv); month is YYYY-MM or any date in the month. -#}
{{ tl_org_seed_model('provider_invoices', {
    'provider': 'id',
    'month': ['varchar', tl_parse_month('{}')],
    'invoiced_usd': 'decimal(18, 6)',
}, derived=[
    'provider',
    'month',
    'invoiced_usd',
]) }}
