{#-
    Invariant: a cumulative cohort count never decreases as the cohort ages.
    Within each partition (e.g. cohort_grain, cohort_start), ordered by
    order_by (e.g. periods_since_start), returns the rows whose value is
    below the value of the row before.
-#}
{% test cohort_non_decreasing(model, column_name, partition_by, order_by) %}
    with ordered as (
        select
            {{ partition_by | join(", ") }},
            {{ order_by }} as cohort_age,
            {{ column_name }} as cohort_value,
            lag({{ column_name }}) over (
                partition by {{ partition_by | join(", ") }}
                order by {{ order_by }}
            ) as previous_value
        from {{ model }}
    )

    select *
    from ordered
    where cohort_value < previous_value
{% endtest %}
