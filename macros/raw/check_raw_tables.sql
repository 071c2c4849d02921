{#-
    Structural checks of the raw input that must stop the build before any
    model runs: a required table is missing, or a table lacks a contract
    column. Raises one error listing every problem found.
-#}
{% macro check_raw_tables() %}
    {%- set problems = [] -%}
    {%- for table, spec in raw_contract().items() -%}
        {%- set relation = adapter.get_relation(database=raw_database(), schema=raw_schema(), identifier=table) -%}
        {%- if relation is none -%}
            {%- if spec.required -%}
                {%- do problems.append("raw table '" ~ table ~ "' is missing (expected " ~ raw_location(table) ~ ")") -%}
            {%- endif -%}
        {%- else -%}
            {%- set present = adapter.get_columns_in_relation(relation) | map(attribute="name") | map("lower") | list -%}
            {%- set missing = [] -%}
            {%- for column in spec.columns if column[0] not in present -%}
                {%- do missing.append(column[0]) -%}
            {%- endfor -%}
            {%- if missing -%}
                {%- do problems.append("raw table '" ~ table ~ "' lacks column(s) " ~ missing | join(", ")) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{- exceptions.raise_compiler_error("Raw data does not match the contract:\n  - " ~ problems | join("\n  - ")) -}}
    {%- endif -%}
{% endmacro %}
