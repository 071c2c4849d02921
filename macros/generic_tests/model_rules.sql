{#-
    A model's key and row rules in one test node (decision 0015): its unique
    key, and its not_null, accepted_values, in_unit_interval and
    not_greater_than column rules and boolean expressions, the row rules
    counted in one pass over the model. At 1M leads a dbt test node cost about
    50 ms of dbt's own Python and its query a few milliseconds, so one node
    per rule made most of the build's test time.

    On the staging model of a raw contract table (contract_table), the
    contract's structural rules join them (contract_checks): its primary key,
    its required columns, and the catalogue's structural rules, including
    those that look up another table (a stage in the stages config, a rate for
    a currency), which read the relations given in `lookups`.

    Returns one row per broken rule: the rule, what it checks (the column, the
    expression), how many rows (for unique_key: duplicated keys) break it, the
    model's row count, and the smallest key among the failing rows (for
    unique_key: the smallest duplicated key), so a failure names a record. No
    row when every rule holds.

    The semantics are those of the single-rule tests it replaces: not_null
    fails on a null; accepted_values, in_unit_interval, not_greater_than and
    an expression fail only where the check is false (a null compares as
    unknown, which passes). A one-column unique_key ignores nulls, like dbt's
    unique; a composite one groups nulls as equal, like
    unique_combination_of_columns.

    Arguments (all optional, at least one rule):
      unique_key:        column or [columns]    no two rows share it; also names
                                                failing rows in the other rules
                                                (default: the contract's key)
      not_null:          [column, ...]
      accepted_values:   {column: [value, ...]} (strings are quoted)
      in_unit_interval:  [column, ...]          (0 <= value <= 1, or null)
      not_greater_than:  {column: other_column or [other_columns]}
      expressions:       [sql boolean expression, ...]
      contract_table:    the raw contract table the model stages
      lookups:           {contract table: relation} the contract's rules look up
-#}
{% test model_rules(model, unique_key=none, not_null=none, accepted_values=none, in_unit_interval=none, not_greater_than=none, expressions=none, contract_table=none, lookups=none) %}
    {#- dbt renders every test once while parsing (execute is false); the rules need not be built then. -#}
    {%- if not execute -%}
        select 1 as rule
    {%- else -%}
    {%- set contract = contract_checks(contract_table, lookups or {}) if contract_table else
        {"unique_key": [], "not_null": [], "checks": [], "table_checks": [], "lookups": []} -%}
    {%- set checks = [] -%}
    {%- for column in contract.not_null + ((not_null or []) | reject("in", contract.not_null) | list) -%}
        {%- do checks.append({"rule": "not_null", "subject": column, "fails": column ~ " is null"}) -%}
    {%- endfor -%}
    {%- for column, values in (accepted_values or {}).items() -%}
        {%- set literals = [] -%}
        {%- for value in values -%}
            {%- do literals.append("'" ~ dbt.escape_single_quotes(value) ~ "'" if value is string else value | string) -%}
        {%- endfor -%}
        {%- do checks.append({"rule": "accepted_values", "subject": column, "fails": column ~ " not in (" ~ literals | join(", ") ~ ")"}) -%}
    {%- endfor -%}
    {%- for column in (in_unit_interval or []) -%}
        {%- do checks.append({"rule": "in_unit_interval", "subject": column, "fails": column ~ " < 0 or " ~ column ~ " > 1"}) -%}
    {%- endfor -%}
    {%- for column, other_columns in (not_greater_than or {}).items() -%}
        {%- for other_column in ([other_columns] if other_columns is string else other_columns) -%}
            {%- do checks.append({"rule": "not_greater_than", "subject": column ~ " <= " ~ other_column, "fails": column ~ " > " ~ other_column}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for expression in (expressions or []) -%}
        {%- do checks.append({"rule": "expression", "subject": expression, "fails": "not (" ~ expression ~ ")"}) -%}
    {%- endfor -%}
    {%- do checks.extend(contract.checks) -%}
    {%- set key_columns = ([unique_key] if unique_key is string else unique_key) or contract.unique_key -%}
    {%- if not checks and not key_columns and not contract.lookups and not contract.table_checks -%}
        {{ exceptions.raise_compiler_error("model_rules on " ~ model ~ ": no rule given") }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for column in key_columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {%- set key_text = dbt.concat(parts) if parts | length > 1 else (parts[0] if parts else none) -%}
    {%- set example = key_text if key_text else "cast(null as " ~ dbt.type_string() ~ ")" -%}
    with rule_counts as (
        select
            {%- for check in checks %}
            count(case when {{ check.fails }} then 1 end) as failing_{{ loop.index }},
            {%- if key_text %}
            min(case when {{ check.fails }} then {{ key_text }} end) as example_{{ loop.index }},
            {%- endif %}
            {%- endfor %}
            count(*) as checked_rows
        from {{ model }}
    ),
    {%- if key_columns %}

    duplicated_keys as (
        select {{ key_text }} as duplicated_key
        from {{ model }}
        {%- if key_columns | length == 1 %}
        where {{ key_columns[0] }} is not null
        {%- endif %}
        group by {{ key_columns | join(", ") }}
        having count(*) > 1
    ),

    key_counts as (
        select
            count(*) as duplicated_keys,
            min(duplicated_key) as example_key
        from duplicated_keys
    ),
    {%- endif %}
    {%- for lookup in contract.lookups %}

    lookup_failures_{{ loop.index }} as (
        select
            count(*) as failing_rows,
            min({{ example }}) as example_key
        from {{ model }}
        left join {{ lookup.relation }} as lookup
            on {{ lookup.on }}
        where {{ lookup.fails }}
    ),
    {%- endfor %}

    broken_rules as (
        {%- set branches = [] -%}
        {%- for check in checks -%}
            {%- do branches.append(
                "select\n            '" ~ check.rule ~ "' as rule,\n            '" ~ dbt.escape_single_quotes(check.subject) ~ "' as checks,"
                ~ "\n            failing_" ~ loop.index ~ " as failing_rows,\n            checked_rows,\n            "
                ~ ("example_" ~ loop.index if key_text else "cast(null as " ~ dbt.type_string() ~ ")") ~ " as example_key"
                ~ "\n        from rule_counts\n        where failing_" ~ loop.index ~ " > 0") -%}
        {%- endfor -%}
        {%- if key_columns -%}
            {%- do branches.append(
                "select\n            'unique_key' as rule,\n            '" ~ key_columns | join(", ") ~ "' as checks,"
                ~ "\n            key_counts.duplicated_keys as failing_rows,\n            rule_counts.checked_rows,"
                ~ "\n            key_counts.example_key\n        from key_counts\n        cross join rule_counts"
                ~ "\n        where key_counts.duplicated_keys > 0") -%}
        {%- endif -%}
        {%- for lookup in contract.lookups -%}
            {%- do branches.append(
                "select\n            '" ~ lookup.rule ~ "' as rule,\n            '" ~ dbt.escape_single_quotes(lookup.subject) ~ "' as checks,"
                ~ "\n            lookup_failures_" ~ loop.index ~ ".failing_rows,\n            rule_counts.checked_rows,"
                ~ "\n            lookup_failures_" ~ loop.index ~ ".example_key\n        from lookup_failures_" ~ loop.index
                ~ "\n        cross join rule_counts\n        where lookup_failures_" ~ loop.index ~ ".failing_rows > 0") -%}
        {%- endfor -%}
        {#- a rule over the whole table (its aggregates): one failing "row" -#}
        {%- for check in contract.table_checks -%}
            {%- do branches.append(
                "select\n            '" ~ check.rule ~ "' as rule,\n            '" ~ dbt.escape_single_quotes(check.subject) ~ "' as checks,"
                ~ "\n            1 as failing_rows,\n            count(*) as checked_rows,\n            cast(null as " ~ dbt.type_string() ~ ") as example_key"
                ~ "\n        from " ~ model ~ "\n        having " ~ check.fails) -%}
        {%- endfor %}
        {{ branches | join("\n        union all\n        ") }}
    )

    select * from broken_rules
    {%- endif %}
{% endtest %}
