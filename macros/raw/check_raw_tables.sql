{#-
    Structural checks of the raw input that must stop the build before any
    model runs: a required table is missing, or a table lacks a contract
    column (one the contract marks optional may be absent). Raises one error listing every problem found. With a source
    adapter (var crm_source / crm_unions), the contract tables the adapter
    provides are not required (only the ones it also reads, e.g. a users
    file of HR attributes, are checked when present) and the adapter's own
    required tables are checked instead (adapter_table_problems).
-#}
{% macro check_raw_tables() %}
    {%- set problems = [] -%}
    {%- set provided = [] -%}
    {%- set read_when_present = [] -%}
    {%- for source_name in crm_adapter_sources() -%}
        {%- do provided.extend(adapter_provides(source_name)) -%}
        {%- do read_when_present.extend(adapter_reads_canonical(source_name)) -%}
    {%- endfor -%}
    {%- for table, spec in raw_contract().items() if table not in provided or table in read_when_present -%}
        {%- set relation = adapter.get_relation(database=raw_database(), schema=raw_schema(), identifier=table) -%}
        {%- if relation is none -%}
            {%- if spec.required and table not in provided -%}
                {%- do problems.append("raw table '" ~ table ~ "' is missing (expected " ~ raw_location(table) ~ ")") -%}
            {%- endif -%}
        {%- else -%}
            {%- set present = adapter.get_columns_in_relation(relation) | map(attribute="name") | map("lower") | list -%}
            {%- set missing = [] -%}
            {%- for column in spec.columns if column.name not in present and not column.optional -%}
                {%- do missing.append(column.name) -%}
            {%- endfor -%}
            {%- if missing -%}
                {%- do problems.append("raw table '" ~ table ~ "' lacks column(s) " ~ missing | join(", ")) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do problems.extend(adapter_table_problems()) -%}
    {%- if problems -%}
        {{- exceptions.raise_compiler_error("Raw data does not match the contract:\n  - " ~ problems | join("\n  - ")) -}}
    {%- endif -%}
{% endmacro %}
