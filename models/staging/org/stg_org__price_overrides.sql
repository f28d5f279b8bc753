{#-
  Negotiated discounts (org/price_overrides.csv) off list price from a date on. A blank or `*`
  model_id is provider-wide (model_id NULL here). cost_factor = 1 - discount_pct / 100, exact at
  scale 6 (computed by multiplication, never DECIMAL / DECIMAL).
-#}
{{ tl_org_seed_model('price_overrides', {
    'provider': 'id',
    'model_id': ['id', "nullif({}, '*')"],
    'effective_from': 'date',
    'discount_pct': 'decimal(9, 4)',
}, derived=[
    'provider',
    'model_id',
    'effective_from',
    'discount_pct',
    tl_cost_factor('discount_pct') ~ ' as cost_factor',
]) }}
