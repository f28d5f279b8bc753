{#-
  What an agency bills each customer (org/client_rates.csv) from a date on: cost plus markup_pct,
  or a fixed rate_per_million_tokens when that (optional) column is set. billing_method says which.
-#}
{{ tl_org_seed_model('client_rates', {
    'customer': 'id',
    'effective_from': 'date',
    'markup_pct': 'decimal(9, 4)',
    'rate_per_million_tokens': 'decimal(18, 6)',
}, derived=[
    'customer',
    'effective_from',
    'markup_pct',
    'rate_per_million_tokens',
    "case when rate_per_million_tokens is not null then 'token_rate' when markup_pct is not null then 'markup' else 'at_cost' end"
        ~ ' as billing_method',
]) }}
