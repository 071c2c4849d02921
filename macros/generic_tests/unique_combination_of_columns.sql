{#-
    Composite primary key: no two rows share the combination. Returns the
    duplicated keys and their count. Grouping by the columns themselves treats
    nulls as equal on every engine and needs no cast to text (casting every key
    to a string made this test the slowest of the build at 10M rows).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {% for column in combination_of_columns %}{{ column }},
        {% endfor %}count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(", ") }}
    having count(*) > 1
{% endtest %}
