{#-
  Approved restatements of closed months (org/restatements.csv): month, reason, approved_by and the
  optional restated_on. Each row publishes one new version of the month; restatement_seq orders a
  month's restatements within the seed (by restated_on, then reason). The version numbers are given
  at publication (published_team_monthly_spend), in the order the restatements were made.
-#}
{{ tl_org_seed_model('restatements', {
    'month': ['varchar', tl_parse_month('{}')],
    'reason': ['varchar', 'trim({})'],
    'approved_by': ['varchar', 'trim({})'],
    'restated_on': 'date',
}, derived=[
    'month',
    'reason',
    'approved_by',
    'restated_on',
    'row_number() over (partition by month order by restated_on asc nulls last, reason asc) as restatement_seq',
]) }}
