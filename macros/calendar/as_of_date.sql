{#-
    The as-of date every KPI is computed at: var as_of_date (ISO date), else
    env SALES_KPIS_AS_OF_DATE, else today (UTC, from the run's start).
    as_of_date() is a SQL date literal; as_of_date_string() the plain
    'YYYY-MM-DD'.

    Why an environment variable as well as the var: dbt re-parses the whole
    project when any --vars value changes. The env var is read only when dbt
    executes (`execute`), never while it parses: the as-of date changes no
    ref, source or config, so a daily run that moves it forward through
    SALES_KPIS_AS_OF_DATE (what `sales-kpis build --as-of` does) re-parses
    nothing (docs/decisions/0006-incremental.md). While parsing, the date
    is today's (run_started_at), used only to render the SQL once.
-#}
{% macro as_of_date_string() %}
    {%- set configured = var("as_of_date", none) -%}
    {%- if configured is none or configured | string | trim in ("", "none", "null", "today") -%}
        {%- set configured = env_var("SALES_KPIS_AS_OF_DATE", "") if execute else "" -%}
    {%- endif -%}
    {%- if configured | string | trim in ("", "none", "null", "today") -%}
        {{- return(run_started_at.strftime("%Y-%m-%d")) -}}
    {%- endif -%}
    {%- set text = configured | string | trim -%}
    {%- if not is_iso_date(text) -%}
        {{- exceptions.raise_compiler_error("the as-of date (var as_of_date or env SALES_KPIS_AS_OF_DATE) must be a date (YYYY-MM-DD), got '" ~ text ~ "'") -}}
    {%- endif -%}
    {{- return(text) -}}
{% endmacro %}

{% macro as_of_date() %}cast('{{ as_of_date_string() }}' as date){% endmacro %}
