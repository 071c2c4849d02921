{#- Composite primary key: no two rows share the combination (nulls compare equal). Returns the duplicated keys and their count. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set keys = [] -%}
    {%- for column in combination_of_columns -%}
        {%- do keys.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
    {%- endfor %}
    select
        {% for key in keys %}{{ key }} as {{ combination_of_columns[loop.index0] }},
        {% endfor %}count(*) as row_count
    from {{ model }}
    group by {{ keys | join(", ") }}
    having count(*) > 1
{% endtest %}
