{#-
  Batch-eligible work (org/batch_eligible.csv): agent, team and environment, each NULL when blank
  (= any). Ids trimmed and lower-cased, as usage and the other org files are compared.
-#}
{{ tl_org_seed_model('batch_eligible', {
    'agent': 'id',
    'team_id': 'id',
    'environment': 'id',
    'note': 'varchar',
}) }}
