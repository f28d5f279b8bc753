{#-
  Fails for every row where `expression` is not true (false or NULL), optionally only rows
  matching `where`. Our stand-in for dbt_utils.expression_is_true.
  Usage: data_tests: [tl_expression_is_true: {arguments: {expression: "a + b = c"}}]
-#}
{% test tl_expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
