{#-
  Fails for every combination of `columns` that occurs more than once (NULLs compare equal).
  Our stand-in for dbt_utils.unique_combination_of_columns (the project takes no dbt package dependencies).
  Usage: data_tests: [tl_unique_combination: {arguments: {columns: [a, b]}}]
-#}
{% test tl_unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
