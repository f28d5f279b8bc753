{#-
  Change log of org/agent_directory.csv (append-only, every engine). Each build appends one row per
  seed row that is new, changed (its row_hash differs from the latest logged version of its key) or
  removed (live in the latest logged version, absent now); an unchanged build appends nothing.
-#}
{{ tl_seed_change_log(
    ref('stg_org__agent_directory'),
    keys=['agent', 'effective_from'],
    columns=['agent', 'team_id', 'effective_from'],
) }}
