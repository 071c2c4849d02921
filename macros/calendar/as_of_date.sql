{#-
    The as-of date every KPI is computed at: var as_of_date (ISO date), else
    today (UTC, from the run's start). as_of_date() is a SQL date literal;
    as_of_date_string() the plain 'YYYY-MM-DD'.
-#}
{% macro as_of_date_string() %}
    {%- set configured = var("as_of_date", none) -%}
    {%- if configured is none or configured | string | trim in ("", "none", "null", "today") -%}
        {{- return(run_started_at.strftime("%Y-%m-%d")) -}}
    {%- endif -%}
    {%- set text = configured | string | trim -%}
    {%- if not modules.re.match("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", text) -%}
        {{- exceptions.raise_compiler_error("var as_of_date must be an ISO date (YYYY-MM-DD), got '" ~ text ~ "'") -}}
    {%- endif -%}
    {{- return(text) -}}
{% endmacro %}

{% macro as_of_date() %}cast('{{ as_of_date_string() }}' as date){% endmacro %}
