{#-
    Called by check_vars when dbt runs. A run that builds or tests part of the
    project (a selection) keeps the rest of the warehouse as it is, computed
    with the settings its build_metadata records: an as-of date, currency,
    fiscal year start or bookings types other than those would mix two
    builds in one warehouse (the selected marts disagree with the rest, and
    their reconciliation tests fail for no fault of the data). Such a run
    stops here, before any model runs, naming both settings and the way out.
    A run that selects every model rebuilds everything with the new settings.
    `sales-kpis build` checks the same before dbt starts (publish.py).
-#}
{% macro check_build_settings() %}
    {%- if invocation_args_dict.get("which") not in ("build", "run", "test", "seed") -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set metadata = graph.nodes.get("model." ~ project_name ~ ".build_metadata") -%}
    {%- if metadata is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set models = graph.nodes.values() | selectattr("resource_type", "equalto", "model") | map(attribute="unique_id") | list -%}
    {%- if models | reject("in", selected_resources) | list | length == 0 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=metadata.database, schema=metadata.schema,
        identifier=metadata.alias or metadata.name) -%}
    {%- if relation is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set stored = run_query("select as_of_date, reporting_currency, fiscal_year_start_month, "
        ~ "bookings_opportunity_types from " ~ relation) -%}
    {%- if stored.rows | length == 0 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set row = stored.rows[0] -%}
    {%- set current = {
        "as_of_date": as_of_date_string(),
        "reporting_currency": reporting_currency(),
        "fiscal_year_start_month": fiscal_year_start_month() ~ "",
        "bookings_opportunity_types": var("bookings_opportunity_types") | join(","),
    } -%}
    {%- set how = {
        "as_of_date": "env SALES_KPIS_AS_OF_DATE (or var as_of_date)",
        "reporting_currency": "var reporting_currency",
        "fiscal_year_start_month": "var fiscal_year_start_month",
        "bookings_opportunity_types": "var bookings_opportunity_types",
    } -%}
    {%- set differences = [] -%}
    {%- for name, value in current.items() -%}
        {%- set kept = (row[name] | string)[:10] if name == "as_of_date" else row[name] | string -%}
        {%- if kept != value -%}
            {%- do differences.append(name ~ " " ~ kept ~ " in " ~ relation ~ ", " ~ value ~ " in this run ("
                ~ how[name] ~ ")") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if differences -%}
        {{- exceptions.raise_compiler_error("This run selects part of the project, and the rest of the warehouse "
            ~ "keeps the settings it was built with: " ~ differences | join("; ") ~ ". Run everything with the "
            ~ "new settings (no --select), or give this run the warehouse's settings. Nothing was built.") -}}
    {%- endif -%}
{% endmacro %}
