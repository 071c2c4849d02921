{#- Invariant: column <= other_column (e.g. a numerator <= its denominator) on every row. Returns the rows that break it. -#}
{% test not_greater_than(model, column_name, other_column) %}
    select *
    from {{ model }}
    where {{ column_name }} > {{ other_column }}
{% endtest %}
