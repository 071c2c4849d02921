{#-
    Invariant: a cumulative cohort count never decreases as the cohort ages.
    Within each partition (e.g. cohort_grain, cohort_start), ordered by
    order_by (e.g. periods_since_start), returns the rows whose value in one
    of `columns` is below the value of the row before, naming the column.
    One test node for all of a model's cohort counts: one pass over the
    model instead of one node and one pass per column.
-#}
{% test cohort_non_decreasing(model, columns, partition_by, order_by) %}
    with ordered as (
        select
            {{ partition_by | join(", ") }},
            {{ order_by }} as cohort_age
            {%- for column in columns %},
            {{ column }},
            lag({{ column }}) over (
                partition by {{ partition_by | join(", ") }}
                order by {{ order_by }}
            ) as previous_{{ column }}
            {%- endfor %}
        from {{ model }}
    )

    {% for column in columns -%}
    select
        {{ partition_by | join(", ") }},
        cohort_age,
        '{{ column }}' as cohort_column,
        {{ column }} as cohort_value,
        previous_{{ column }} as previous_value
    from ordered
    where {{ column }} < previous_{{ column }}
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}
{% endtest %}
