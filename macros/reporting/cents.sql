{#-
  Largest-remainder cents within a group, the one home of the rule: a select over `relation` (a CTE
  name) adding the integer column `into` (default cost_cents) so that, within each `partition_by`
  group, the cents sum exactly to `target_cents` (an integer column of the relation, the same on every
  row of the group; e.g. the team's published cents, or the month's total rounded half-up).
  Each row gets floor(amount x 100) cents; the cents still missing go to the rows with the largest
  remainders (ties by `tiebreak`). Used by the team lines (target: the month total rounded half-up),
  by every breakdown that must tie to the team lines to the cent, and by the finance reports' list
  cost cents (the exports read them; nothing re-rounds outside SQL).
  Requires sum(floor cents) <= target_cents <= sum(floor cents) + rows, which holds when the group's
  exact amounts sum to a total whose cents are its floor or floor + 1 (largest remainder, half-up).
  The helper columns are named after `into` (<into>_floor, ...), so the rule can be applied twice.
-#}
{% macro tl_distribute_cents(relation, cost_column, target_cents, partition_by, tiebreak, into='cost_cents') -%}
    select
        ranked.*,
        ranked.{{ into }}_floor
        + case when ranked.{{ into }}_rank <= ranked.{{ into }}_to_distribute then 1 else 0 end as {{ into }}
    from (
        select
            floored.*,
            {{ target_cents }} - sum(floored.{{ into }}_floor) over (partition by {{ partition_by }}) as {{ into }}_to_distribute,
            row_number() over (
                partition by {{ partition_by }}
                order by floored.{{ into }}_remainder desc, {{ tiebreak }}
            ) as {{ into }}_rank
        from (
            select
                {{ relation }}.*,
                cast(floor({{ cost_column }} * 100) as bigint) as {{ into }}_floor,
                {{ cost_column }} * 100 - floor({{ cost_column }} * 100) as {{ into }}_remainder
            from {{ relation }}
        ) as floored
    ) as ranked
{%- endmacro %}

{#- An amount's total over `partition_by` in cents, rounded half-up (amounts are never negative). -#}
{% macro tl_total_cents_half_up(amount, partition_by) -%}
    cast(floor(sum({{ amount }}) over (partition by {{ partition_by }}) * 100 + cast(0.5 as decimal(2, 1))) as bigint)
{%- endmacro %}
