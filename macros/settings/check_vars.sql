{#-
    on-run-start hook (the first): every setting of this run checked against
    the catalogue of dbt_project.yml (var_types) before any model runs, so a
    value that is not a setting never reaches SQL: the vars (defaults and
    --vars; a --vars name that is no setting too) and, when dbt runs, the
    as-of date of env SALES_KPIS_AS_OF_DATE. Raises one error listing every
    problem, each naming the var. Then, when dbt runs, check_build_settings.
    `sales-kpis build` checks the same before dbt starts (src/sales_kpis/settings.py).
-#}
{% macro check_vars() %}
    {%- set catalogue = var("var_types", {}) -%}
    {%- set given = invocation_args_dict.get("vars") or {} -%}
    {%- if given is string -%}
        {%- set given = fromyaml(given) or {} -%}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- for name, spec in catalogue.items() if "*" not in name -%}
        {%- set reason = var_problem(spec, var(name, none)) -%}
        {%- if reason -%}
            {%- do problems.append("var " ~ name ~ " " ~ reason) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name, value in given.items() if name not in catalogue and name != "var_types" -%}
        {%- set patterns = [] -%}
        {%- for pattern, spec in catalogue.items() if "*" in pattern
            and modules.re.match("^" ~ modules.re.escape(pattern).replace("\\*", ".*") ~ "$", name) -%}
            {%- do patterns.append(spec) -%}
        {%- endfor -%}
        {%- if not patterns -%}
            {%- do problems.append("var " ~ name ~ " is not a setting of this project; the settings are the vars of dbt_project.yml") -%}
        {%- elif var_problem(patterns[0], value) -%}
            {%- do problems.append("var " ~ name ~ " " ~ var_problem(patterns[0], value)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set as_of = env_var("SALES_KPIS_AS_OF_DATE", "") if execute else "" -%}
    {%- if as_of | trim and not is_iso_date(as_of | trim) and as_of | trim | lower not in ("none", "null", "today") -%}
        {%- do problems.append("env SALES_KPIS_AS_OF_DATE must be a date (YYYY-MM-DD), got '" ~ as_of ~ "'") -%}
    {%- endif -%}
    {%- if problems -%}
        {{- exceptions.raise_compiler_error("Settings that are not of their type (dbt_project.yml, var_types); "
            ~ "nothing was built:\n  - " ~ problems | join("\n  - ")) -}}
    {%- endif -%}
    {%- if execute -%}
        {%- do check_build_settings() -%}
    {%- endif -%}
    {{- return("select 1 as settings_checked") -}}
{% endmacro %}
