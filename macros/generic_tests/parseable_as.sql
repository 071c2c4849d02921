{#-
    Structural check on a raw column: every non-null value parses as the
    contract's logical type (date, timestamp, decimal, integer, boolean).
    Returns the offending rows (so their keys show). Skipped (no rows) when the
    optional table is absent, or when the warehouse already types the column
    as the expected type (typed Parquet, a typed warehouse table): such a value
    parses by construction, and casting every value to text and back cost
    seconds per column at 10M rows.
-#}
{% test parseable_as(model, column_name, expected_type) %}
    {%- set table = model.identifier if model.identifier is defined else none -%}
    {%- if execute and table is not none and not raw_table_exists(table) -%}
        select 1 as nothing where 1 = 0
    {%- elif execute and table is not none and column_has_type(model, column_name, expected_type) -%}
        select 1 as nothing where 1 = 0
    {%- else -%}
        select
            '{{ expected_type }}' as expected_type,
            {{ column_name }} as unparseable_value,
            *
        from {{ model }}
        where {{ column_name }} is not null
            and {{ try_cast("cast(" ~ column_name ~ " as " ~ dbt.type_string() ~ ")", logical_type(expected_type)) }} is null
    {%- endif -%}
{% endtest %}
