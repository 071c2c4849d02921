{#- Every row satisfies a SQL boolean expression (optionally only rows matching `where`); returns the rows that do not. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}
