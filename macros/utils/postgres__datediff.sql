{#-
    PostgreSQL version of dbt.datediff, overriding dbt-postgres's (a root-project
    macro wins dbt's dispatch). dbt-postgres returns double precision for month,
    quarter and year and integer for day; DuckDB returns bigint, and the kpi_
    marts' enforced contracts say bigint. Same values, one type: bigint
    (the PostgreSQL build failed its contracts without it).
-#}
{% macro postgres__datediff(first_date, second_date, datepart) -%}
    {%- set first_day = "cast(" ~ first_date ~ " as date)" -%}
    {%- set second_day = "cast(" ~ second_date ~ " as date)" -%}
    {%- if datepart == "day" -%}
        cast({{ second_day }} - {{ first_day }} as bigint)
    {%- elif datepart in ("month", "quarter", "year") -%}
        {%- set per_year = {"month": 12, "quarter": 4, "year": 1}[datepart] -%}
        cast(
            (date_part('year', {{ second_day }}) - date_part('year', {{ first_day }})) * {{ per_year }}
            {%- if datepart != "year" %}
            + date_part('{{ datepart }}', {{ second_day }}) - date_part('{{ datepart }}', {{ first_day }})
            {%- endif %}
            as bigint
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff on PostgreSQL: unsupported date part '" ~ datepart ~ "' (day, month, quarter, year; week boundaries differ between engines: count days)") }}
    {%- endif -%}
{%- endmacro %}
