{#-
    The structural rules of a raw contract table, as model_rules checks them
    on the table's staging model: {unique_key: the primary key, not_null: the
    required columns, checks: row rules [{rule, subject, fails}],
    table_checks: rules over the whole table, lookups: rules that look up
    another table [{rule, subject, relation, on, fails}], whose relations
    come from `lookups` ({contract table: relation}). Record-level rules are
    dq_record_issues' (record_issues); warnings are only validate's.
-#}
{% macro contract_checks(table, lookups) %}
    {%- set checks = {"unique_key": raw_contract()[table].primary_key, "not_null": [], "checks": [],
        "table_checks": [], "lookups": []} -%}
    {%- for rule in contract_rules(table) if rule.severity == "structural" -%}
        {%- if rule.kind == "row" and rule.problem in ("null_key", "null_required") -%}
            {%- do checks.not_null.append(rule.column) -%}
        {%- elif rule.kind == "row" -%}
            {%- do checks.checks.append({"rule": rule.problem, "subject": rule.fails, "fails": rule.fails}) -%}
        {%- elif rule.kind == "table" -%}
            {%- do checks.table_checks.append({"rule": rule.problem, "subject": rule.fails, "fails": rule.fails}) -%}
        {%- else -%}
            {%- set looked_up = rule.ref_table if rule.kind == "foreign_key" else "exchange_rates" -%}
            {%- if looked_up not in lookups -%}
                {{ exceptions.raise_compiler_error("model_rules on the staging model of " ~ table ~ ": the contract's rule "
                    ~ rule.problem ~ " on " ~ rule.column ~ " reads " ~ looked_up ~ "; pass it in lookups") }}
            {%- endif -%}
            {%- if rule.kind == "foreign_key" -%}
                {%- do checks.lookups.append({"rule": rule.problem,
                    "subject": rule.column ~ " in " ~ rule.ref_table ~ "." ~ rule.ref_column,
                    "relation": "(select distinct " ~ rule.ref_column ~ " as lookup_key from " ~ lookups[looked_up] ~ ")",
                    "on": rule.column ~ " = lookup.lookup_key",
                    "fails": rule.column ~ " is not null and lookup.lookup_key is null"}) -%}
            {%- else -%}
                {%- set due = period_end("month", period_start("month", rule.date)) if rule.month_end else rule.date -%}
                {%- set currency = "upper(trim(" ~ rule.column ~ "))" -%}
                {%- do checks.lookups.append({"rule": rule.problem,
                    "subject": rule.column ~ " has a rate into the reporting currency " ~ reporting_currency()
                        ~ " on or before " ~ ("the month end of " if rule.month_end else "") ~ rule.date,
                    "relation": "(select currency as lookup_currency, min(rate_date) as lookup_first_rate_date from "
                        ~ lookups[looked_up] ~ " where rate_to_reporting > 0 group by currency)",
                    "on": currency ~ " = lookup.lookup_currency",
                    "fails": rule.column ~ " is not null and " ~ currency ~ " <> " ~ sql_string(reporting_currency()) ~ " and "
                        ~ due ~ " is not null and (lookup.lookup_first_rate_date is null or lookup.lookup_first_rate_date > "
                        ~ due ~ ")"}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(checks) -}}
{% endmacro %}
