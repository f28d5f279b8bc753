{#-
  Cache-read share targets (org/cache_targets.csv) per provider and catalog model; a blank or `*`
  model is provider-wide (model NULL here). target_share = target_cache_read_pct / 100, exact at
  scale 6 (computed by multiplication, never DECIMAL / DECIMAL).
-#}
{{ tl_org_seed_model('cache_targets', {
    'provider': 'id',
    'model': ['id', "nullif({}, '*')"],
    'target_cache_read_pct': 'decimal(9, 4)',
    'note': 'varchar',
}, derived=[
    'provider',
    'model',
    'target_cache_read_pct',
    'cast(target_cache_read_pct * cast(0.01 as decimal(3, 2)) as decimal(12, 6)) as target_share',
    'note',
]) }}
