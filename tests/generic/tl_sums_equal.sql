{#-
  Fails when sum(`column`) over the model differs from sum(`other_column`) over `other_model`,
  grouped by `group_by` on both sides when given (missing groups count as 0). Exact comparison:
  use it on decimal money and integer counts, never floats. When a scheduled build tests only the months the
  model rebuilt (get_where_subquery), `other_model` is read for the same months (`group_by` holds the month).
  Usage: data_tests: [tl_sums_equal: {arguments: {column: cost, other_model: ref('x'), other_column: cost, group_by: month}}]
-#}
{% test tl_sums_equal(model, column, other_model, other_column, group_by=none) %}

with

left_side as (
    select
        {% if group_by %}{{ group_by }} as group_key,{% else %}1 as group_key,{% endif %}
        sum({{ column }}) as total
    from {{ model }}
    group by 1
),

right_side as (
    select
        {% if group_by %}{{ group_by }} as group_key,{% else %}1 as group_key,{% endif %}
        sum({{ other_column }}) as total
    from {{ other_model }}
    {%- set same_months = tl_tested_months_condition(group_by) if group_by else none %}
    {%- if same_months %}
    where {{ same_months }}
    {%- endif %}
    group by 1
),

compared as (
    select
        coalesce(left_side.group_key, right_side.group_key) as group_key,
        coalesce(left_side.total, 0) as left_total,
        coalesce(right_side.total, 0) as right_total
    from left_side
    full outer join right_side
        on left_side.group_key = right_side.group_key
)

select * from compared
where left_total <> right_total

{% endtest %}
