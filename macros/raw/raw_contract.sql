{#-
    The raw-data contract, read from where it is written once: the `crm`
    source (models/staging/crm/_crm__sources.yml), through `graph`.
    {table: {name, required, primary_key, rules, messages, problems,
    columns: [{name, type, nullable, optional, null_repair, foreign_key,
    accepted_values, exchange_rate}]}}, tables and columns in the file's
    order. Empty at parse time (dbt builds the graph after parsing): call it
    when `execute` is true. The runner reads the same file
    (src/sales_kpis/contract.py).
-#}
{% macro raw_contract() %}
    {%- set tables = {} -%}
    {%- if execute -%}
        {#- a unit test's graph has no sources -#}
        {%- for node in graph.get("sources", {}).values() if node.package_name == project_name and node.source_name == "crm" -%}
            {%- set columns = [] -%}
            {%- for column in node.columns.values() -%}
                {%- set spec = {"name": column.name, "type": column.data_type, "nullable": true, "optional": false} -%}
                {%- do spec.update(column.meta) -%}
                {%- do columns.append(spec) -%}
            {%- endfor -%}
            {%- set table = {"name": node.name, "rules": []} -%}
            {%- do table.update(node.meta) -%}
            {%- do table.update({"columns": columns}) -%}
            {%- do tables.update({node.name: table}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(tables) -}}
{% endmacro %}
