{#-
  Acceptable model substitutes (org/model_substitutes.csv): from a provider's catalog model to
  another catalog model, optionally for one agent or one paying team. Ids trimmed and lower-cased;
  blank from_provider, to_provider, agent and team_id are NULL (any provider / the event's own model
  provider / any agent / any team).
-#}
{{ tl_org_seed_model('model_substitutes', {
    'from_provider': 'id',
    'from_model': 'id',
    'to_provider': 'id',
    'to_model': 'id',
    'agent': 'id',
    'team_id': 'id',
    'note': 'varchar',
}) }}
