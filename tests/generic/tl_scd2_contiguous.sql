{#-
  Type-2 validity is contiguous per key: periods [valid_from, valid_to) do not overlap, leave no gap
  (each valid_to equals the next valid_from), only the last is open (valid_to NULL), and no period
  is empty. Fails with every offending row.
  Usage: data_tests: [tl_scd2_contiguous: {arguments: {key: agent}}]
-#}
{% test tl_scd2_contiguous(model, key, valid_from='valid_from', valid_to='valid_to') %}

with

ordered as (
    select
        {{ key }} as scd_key,
        {{ valid_from }} as valid_from,
        {{ valid_to }} as valid_to,
        lead({{ valid_from }}) over (partition by {{ key }} order by {{ valid_from }}) as next_valid_from
    from {{ model }}
)

select *
from ordered
where
    (next_valid_from is null and valid_to is not null)
    or (next_valid_from is not null and (valid_to is null or valid_to <> next_valid_from))
    or (valid_to is not null and valid_to <= valid_from)

{% endtest %}
