{#- Fails for every row where `expression` is not true (NULL counts as a failure unless it is
    wrapped by the caller), optionally only for rows matching `where`. -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
