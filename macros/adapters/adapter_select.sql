{#-
    The rows of one Fivetran table across every connection of a source, with
    columns picked, typed and renamed: one `select ... from <relation>` per
    connection that has the table, joined by `union all`, each row tagged
    with its connection's source_relation. A table absent everywhere gives
    an empty relation with the same columns.

    columns: [[alias, field, type], ...] where field is a column name (or a
    list of names, coalesced in the order given, or none) matched with
    adapter_normalise (snake_case or camelCase), and type is key (text,
    prefixed with "<source_relation>:" when several connections are
    unioned), text, timestamp, date, decimal (amounts: type_amount), rate
    (exchange rates, kept exact to 18 decimals before they are inverted),
    integer or boolean.
    A field the table lacks becomes a typed null.
    shapes: optional [[marker column, columns], ...]: the first shape whose
    marker column the table has is used instead of `columns` (one table name,
    two layouts, e.g. Salesforce's OpportunityHistory object or a Fivetran
    history-mode copy of Opportunity).
-#}
{% macro adapter_select(source_name, table, columns, shapes=none) %}
    {#- lineage: the source table, also when it is read through another schema -#}
    {%- set lineage = source(source_name, table) -%}
    {%- set selects = [] -%}
    {%- if execute -%}
        {%- for connection in crm_connections(source_name) -%}
            {%- set relation = adapter_relation(connection, table) -%}
            {%- if relation is not none -%}
                {%- set present = {} -%}
                {%- for column in adapter.get_columns_in_relation(relation) -%}
                    {%- do present.update({adapter_normalise(column.name): column.name}) -%}
                {%- endfor -%}
                {%- set chosen = {"columns": columns} -%}
                {%- for shape in (shapes or []) | reverse if adapter_normalise(shape[0]) in present -%}
                    {%- do chosen.update({"columns": shape[1]}) -%}
                {%- endfor -%}
                {%- set expressions = [] -%}
                {%- for column in chosen["columns"] -%}
                    {%- do expressions.append(
                        adapter_column_expression(present, column[1], column[2], connection) ~ " as " ~ column[0]) -%}
                {%- endfor -%}
                {%- do expressions.append("cast('" ~ connection.source_relation ~ "' as " ~ dbt.type_string() ~ ") as source_relation") -%}
                {%- do selects.append("select\n        " ~ expressions | join(",\n        ") ~ "\n    from " ~ relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if selects | length == 0 -%}
        {%- set expressions = [] -%}
        {%- for column in columns -%}
            {%- do expressions.append("cast(null as " ~ adapter_type(column[2]) ~ ") as " ~ column[0]) -%}
        {%- endfor -%}
        {%- do expressions.append("cast(null as " ~ dbt.type_string() ~ ") as source_relation") -%}
        {%- do selects.append("select\n        " ~ expressions | join(",\n        ") ~ "\n    where 1 = 0") -%}
    {%- endif -%}
    {{- return(selects | join("\n    union all\n    ")) -}}
{% endmacro %}

{#- The SQL type of an adapter column type (key and text are strings). -#}
{% macro adapter_type(type) %}
    {%- if type in ["key", "text"] -%}{{ return(dbt.type_string()) }}
    {%- elif type == "rate" -%}{{ return("decimal(38, 18)") }}
    {%- else -%}{{ return(logical_type(type)) }}
    {%- endif -%}
{% endmacro %}

{#- One picked, typed (and for keys, prefixed) column expression; see adapter_select. -#}
{% macro adapter_column_expression(present, field, type, connection) %}
    {%- set names = [] if field is none else ([field] if field is string else field) -%}
    {%- set casts = [] -%}
    {%- for name in names if adapter_normalise(name) in present -%}
        {%- set quoted = adapter.quote(present[adapter_normalise(name)]) -%}
        {%- if type == "date" -%}
            {#- through a timestamp: Salesforce exports dates as "2024-01-31 00:00:00" -#}
            {%- do casts.append("cast(cast(" ~ quoted ~ " as " ~ dbt.type_timestamp() ~ ") as date)") -%}
        {%- elif type == "timestamp" -%}
            {#- UTC, also for text with an offset (utc_timestamp, as the canonical staging) -#}
            {%- do casts.append(utc_timestamp(quoted)) -%}
        {%- else -%}
            {%- do casts.append("cast(" ~ quoted ~ " as " ~ adapter_type(type) ~ ")") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if casts | length == 0 -%}
        {%- set expression = "cast(null as " ~ adapter_type(type) ~ ")" -%}
    {%- elif casts | length == 1 -%}
        {%- set expression = casts[0] -%}
    {%- else -%}
        {%- set expression = "coalesce(" ~ casts | join(", ") ~ ")" -%}
    {%- endif -%}
    {%- if type == "key" and connection.prefix_keys -%}
        {%- set expression = "'" ~ connection.source_relation ~ ":' || " ~ expression -%}
    {%- endif -%}
    {{- return(expression) -}}
{% endmacro %}

{#-
    Fivetran's row filters: the current version of a record (history mode
    keeps old versions with _fivetran_active = false) that was not deleted at
    the source (_fivetran_deleted). Soft deletes of the CRM itself
    (is_deleted) are applied by each model.
-#}
{% macro fivetran_is_current() -%}
    coalesce(_fivetran_active, true) and not coalesce(_fivetran_deleted, false)
{%- endmacro %}
