{#-
  Largest-remainder cents within a group: a select over `relation` (a CTE name) adding `cost_cents`
  so that, within each `partition_by` group, the cents sum exactly to `target_cents` (an integer
  column of the relation, the same on every row of the group; e.g. the team's published cents).
  Each row gets floor(cost x 100) cents; the cents still missing go to the rows with the largest
  remainders (ties by `tiebreak`). Used by the team lines (target: the month total rounded half-up)
  and by every breakdown that must tie to the team lines to the cent.
  Requires sum(floor cents) <= target_cents <= sum(floor cents) + rows, which holds when the group's
  exact costs sum to a team line whose cents are its floor or floor + 1 (largest remainder).
-#}
{% macro tl_distribute_cents(relation, cost_column, target_cents, partition_by, tiebreak) -%}
    select
        ranked.*,
        ranked.floor_cents
        + case when ranked.cents_rank <= ranked.cents_to_distribute then 1 else 0 end as cost_cents
    from (
        select
            floored.*,
            {{ target_cents }} - sum(floored.floor_cents) over (partition by {{ partition_by }}) as cents_to_distribute,
            row_number() over (
                partition by {{ partition_by }}
                order by floored.cents_remainder desc, {{ tiebreak }}
            ) as cents_rank
        from (
            select
                {{ relation }}.*,
                cast(floor({{ cost_column }} * 100) as bigint) as floor_cents,
                {{ cost_column }} * 100 - floor({{ cost_column }} * 100) as cents_remainder
            from {{ relation }}
        ) as floored
    ) as ranked
{%- endmacro %}
