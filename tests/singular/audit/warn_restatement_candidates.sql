{{ config(severity='warn') }}
{#-
  A closed month whose lines would change (audit.restatement_candidates): published figures stay as
  they are until a restatement is approved in org/restatements.csv. A warning, not a failure.
-#}
select
    month,
    team_id,
    published_version,
    published_cost_usd,
    current_cost_usd,
    delta_usd,
    late_events
from {{ ref('audit_restatement_candidates') }}
