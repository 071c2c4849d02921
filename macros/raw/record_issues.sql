{#-
    The rows of dq_record_issues: every record breaking a record-level rule
    of the contract's catalogue (contract_rules), or a warning the build
    treats in its own way (a warning with a repair), one row per record and
    rule, with the rule's message (its {column} placeholders filled with the
    row's values) and the repair the build applied. A rule limited to open or
    closed stages (stage) reads the stages config from staged['stages'].

    staged: {contract table: relation}, each table's staging model. A rule
    reads the values as delivered: a staging model that repairs a contract
    column keeps the delivered value as raw_<column>, which the rule reads
    instead. deleted_records: the relation of soft-deleted keys (table_name,
    record_id): a foreign key naming a deleted record is not an anomaly (the
    row is ignored with it), as in validate. A foreign key into an optional
    table that is absent is not checked. record_key is the primary key, its
    parts joined with `|`.
-#}
{% macro record_issues(staged, deleted_records) %}
    {%- set contract = raw_contract() -%}
    {%- set selects = [] -%}
    {%- for table, spec in contract.items() -%}
        {%- set rules = [] -%}
        {%- for rule in contract_rules(table) if rule.severity == "record" or (rule.severity == "warning" and rule.repair) -%}
            {%- do rules.append(rule) -%}
        {%- endfor -%}
        {%- if rules and table not in staged -%}
            {{ exceptions.raise_compiler_error("record_issues: the contract has record-level rules on " ~ table
                ~ " but no staging model of it is given") }}
        {%- endif -%}
        {%- if rules -%}
            {%- set present = adapter.get_columns_in_relation(staged[table]) | map(attribute="name") | map("lower") | list -%}
            {%- set delivered = [] -%}
            {%- for column in spec.columns if column.name in present or ("raw_" ~ column.name) in present -%}
                {%- do delivered.append(("raw_" ~ column.name ~ " as " ~ column.name) if ("raw_" ~ column.name) in present else column.name) -%}
            {%- endfor -%}

            {%- for rule in rules -%}
                {%- set select = "select\n        '" ~ table ~ "' as table_name,\n        "
                    ~ contract_record_key(table, "records") ~ " as record_key,\n        '" ~ rule.column ~ "' as column_name,\n        '"
                    ~ rule.problem ~ "' as problem_type,\n        "
                    ~ record_message(rule.message, "records") ~ " as problem,\n        '"
                    ~ dbt.escape_single_quotes(rule.repair) ~ "' as rule_applied\n    from (select " ~ delivered | join(", ")
                    ~ " from " ~ staged[table] ~ ") as records" -%}
                {%- if rule.kind == "foreign_key" -%}
                    {%- if contract[rule.ref_table].required or contract_table_present(rule.ref_table) -%}
                        {%- set parent = contract[rule.ref_table] -%}
                        {%- set excluded_deleted = "" -%}
                        {%- if "is_deleted" in parent.columns | map(attribute="name") | list -%}
                            {%- set excluded_deleted = "\n        and not exists (select 1 from " ~ deleted_records
                                ~ " as deleted where deleted.table_name = '" ~ rule.ref_table
                                ~ "' and deleted.record_id = records." ~ rule.column ~ ")" -%}
                        {%- endif -%}
                        {#- a left join keeping the unmatched rows, so the engine may hash the smaller side -#}
                        {%- do selects.append(select ~ "\n    left join (select " ~ rule.ref_column ~ " as parent_key from "
                            ~ staged[rule.ref_table] ~ ") as parents\n        on records." ~ rule.column ~ " = parents.parent_key"
                            ~ "\n    where records." ~ rule.column ~ " is not null\n        and parents.parent_key is null"
                            ~ excluded_deleted) -%}
                    {%- endif -%}
                {%- elif rule.stage -%}
                    {%- do selects.append(select ~ "\n    where (" ~ rule.fails ~ ")\n        and records.stage_name in (select stage_name from "
                        ~ staged["stages"] ~ " where " ~ ("not " if rule.stage == "open" else "") ~ "is_closed)") -%}
                {%- else -%}
                    {%- do selects.append(select ~ "\n    where " ~ rule.fails) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(selects | join("\n    union all\n    ")) -}}
{% endmacro %}

{#- SQL text for a catalogue message: its {column} placeholders become the values of `alias`'s row. -#}
{% macro record_message(template, alias) %}
    {%- set parts = [] -%}
    {%- for piece in modules.re.split("[{]([a-z_0-9]+)[}]", template) -%}
        {%- if loop.index is even -%}
            {%- do parts.append("coalesce(cast(" ~ alias ~ "." ~ piece ~ " as " ~ dbt.type_string() ~ "), 'null')") -%}
        {%- elif piece -%}
            {%- do parts.append("'" ~ dbt.escape_single_quotes(piece) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(parts | join(" || ") or "''") -}}
{% endmacro %}
