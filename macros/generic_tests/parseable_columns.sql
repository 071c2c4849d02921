{#-
    Structural check on a raw table of the contract: every non-null value of
    each typed contract column (date, timestamp, decimal, integer, boolean)
    parses as its logical type, all columns in one pass over the table and
    one test node (decision 0015: a test node costs ~90 ms of dbt's own
    Python). The columns and their types are the contract's (raw_contract).
    Returns the offending rows, each with `unparseable_columns` naming the
    columns that did not parse and their types (e.g. `amount (decimal)`),
    then every raw column, so the row's key shows.

    Skipped (no rows) when the optional table is absent; a column the table
    lacks is not checked (a missing contract column stops the build earlier,
    in check_raw_tables; an optional one reads as null). A column the
    warehouse already types as the expected type (typed Parquet, a typed
    warehouse table) is not checked: such a value parses by construction,
    and casting every value to text and back cost seconds per column at 10M
    rows.
-#}
{% test parseable_columns(model) %}
    {%- set checked = [] -%}
    {%- if execute and raw_table_exists(model.identifier) -%}
        {%- set relation_columns = adapter.get_columns_in_relation(model) -%}
        {%- set present = relation_columns | map(attribute="name") | map("lower") | list -%}
        {%- for column in raw_contract()[model.identifier].columns if column.type != "text" and column.name in present -%}
            {%- if not column_has_type(model, column.name, column.type, relation_columns) -%}
                {%- do checked.append((column.name, column.type)) -%}
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
