{#-
    Structural check on a raw table: every non-null value of each listed
    column parses as the contract's logical type (date, timestamp, decimal,
    integer, boolean), all columns in one pass over the table and one test
    node (decision 0015: a test node costs ~90 ms of dbt's own Python).
    Returns the offending rows, each with `unparseable_columns` naming the
    columns that did not parse and their types (e.g. `amount (decimal)`),
    then every raw column, so the row's key shows.

    Skipped (no rows) when the optional table is absent. A column the
    warehouse already types as the expected type (typed Parquet, a typed
    warehouse table) is not checked: such a value parses by construction,
    and casting every value to text and back cost seconds per column at 10M
    rows.

    Argument: columns, {column: logical type}.
-#}
{% test parseable_columns(model, columns) %}
    {%- set table = model.identifier if model.identifier is defined else none -%}
    {%- set checked = [] -%}
    {%- if execute and (table is none or raw_table_exists(table)) -%}
        {%- set relation_columns = adapter.get_columns_in_relation(model) if table is not none else [] -%}
        {%- for column, expected_type in columns.items() -%}
            {%- if table is none or not column_has_type(model, column, expected_type, relation_columns) -%}
                {%- do checked.append((column, expected_type)) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not checked -%}
        select 1 as nothing where 1 = 0
    {%- else -%}
        {%- set flags = [] -%}
        {%- for column, expected_type in checked -%}
            {%- set fails = column ~ " is not null and " ~ try_cast("cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")", logical_type(expected_type)) ~ " is null" -%}
            {%- do flags.append("case when " ~ fails ~ " then '" ~ column ~ " (" ~ expected_type ~ ") ' else '' end") -%}
        {%- endfor -%}
        select *
        from (
            select
                trim({{ dbt.concat(flags) if flags | length > 1 else flags[0] }}) as unparseable_columns,
                *
            from {{ model }}
        ) as parsed
        where unparseable_columns <> ''
    {%- endif -%}
{% endtest %}
