{#-
    Every rule of the contract's catalogue for one table, as the runner
    expands them too (src/sales_kpis/contract.py, column_rules; a pytest keeps
    the two equal): per column in order its null rule (null_key for a
    primary-key column), accepted values, foreign key and exchange rate, then
    the table's own rules. Each rule: {table, problem, column, kind (row,
    table, foreign_key, exchange_rate), severity (structural, record,
    warning), message, fails, repair, ref_table, ref_column, date, month_end,
    stage (open or closed: the rule holds only for rows in such a stage)}.
-#}
{% macro contract_rules(table) %}
    {%- set spec = raw_contract()[table] -%}
    {%- set rules = [] -%}
    {%- for column in spec.columns -%}
        {%- set name = column.name -%}
        {%- if not column.nullable -%}
            {%- do rules.append(contract_rule(table, "null_key" if name in spec.primary_key else "null_required", name, "row",
                "record" if column.get("null_repair") else "structural",
                contract_message(spec.messages.null_required, {"column": name}),
                {"fails": name ~ " is null", "repair": column.get("null_repair")})) -%}
        {%- endif -%}
        {%- if column.get("accepted_values") -%}
            {%- set values = column.accepted_values["values"] -%}
            {%- set quoted = [] -%}
            {%- for value in values -%}
                {%- do quoted.append("'" ~ value | replace("'", "''") ~ "'") -%}
            {%- endfor -%}
            {%- do rules.append(contract_rule(table, column.accepted_values.problem, name, "row", "structural",
                contract_message(spec.messages.accepted_values, {"column": name, "values": values | join(", ")}),
                {"fails": "lower(trim(" ~ name ~ ")) not in (" ~ quoted | join(", ") ~ ")"})) -%}
        {%- endif -%}
        {%- if column.get("foreign_key") -%}
            {%- set fk = column.foreign_key -%}
            {%- set to = fk.to.split(".") -%}
            {%- do rules.append(contract_rule(table, fk.get("problem", "orphaned_foreign_key"), name, "foreign_key",
                fk.get("severity", "record"),
                fk.get("message") or contract_message(spec.messages.foreign_key, {"column": name, "to": fk.to}),
                {"repair": fk.get("repair"), "ref_table": to[0], "ref_column": to[1]})) -%}
        {%- endif -%}
        {%- if column.get("exchange_rate") -%}
            {%- do rules.append(contract_rule(table, "missing_exchange_rate", name, "exchange_rate", "structural", "",
                {"date": column.exchange_rate.date, "month_end": column.exchange_rate.get("month_end", false)})) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for rule in spec.get("rules", []) -%}
        {%- do rules.append(contract_rule(table, rule.problem, rule.column, rule.get("scope", "row"), rule.severity,
            rule.message, {"fails": rule.fails, "repair": rule.get("repair"), "stage": rule.get("stage")})) -%}
    {%- endfor -%}
    {{- return(rules) -}}
{% endmacro %}

{#- One rule of contract_rules, every field present. -#}
{% macro contract_rule(table, problem, column, kind, severity, message, fields) %}
    {%- set rule = {"table": table, "problem": problem, "column": column, "kind": kind, "severity": severity,
        "message": message, "fails": "", "repair": none, "ref_table": none, "ref_column": none, "date": none,
        "month_end": false, "stage": none} -%}
    {%- do rule.update(fields) -%}
    {{- return(rule) -}}
{% endmacro %}

{#-
    A message template of the catalogue with its generic names ({column},
    {to}, {values}) filled in; {value} becomes the column's own placeholder,
    filled per row.
-#}
{% macro contract_message(template, names) %}
    {{- return(template
        | replace("{value}", "{" ~ names.column ~ "}")
        | replace("{column}", names.column)
        | replace("{to}", names.get("to", "{to}"))
        | replace("{values}", names.get("values", "{values}"))) -}}
{% endmacro %}
