{#-
    Spark version of dbt.datediff, overriding dbt-spark's (as
    postgres__datediff does dbt-postgres's). Date parts crossed, as DuckDB
    counts them (Jan 31 to Feb 1 is one month), as a bigint; each argument
    named once per term (dbt-spark's version repeats each about twenty times,
    which made Spark's query planning the slowest part of the build).
-#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set first_day = "cast(" ~ first_date ~ " as date)" -%}
    {%- set second_day = "cast(" ~ second_date ~ " as date)" -%}
    {%- if datepart == "day" -%}
        cast(datediff({{ second_day }}, {{ first_day }}) as bigint)
    {%- elif datepart in ("month", "quarter", "year") -%}
        {%- set per_year = {"month": 12, "quarter": 4, "year": 1}[datepart] -%}
        cast(
            (year({{ second_day }}) - year({{ first_day }})) * {{ per_year }}
            {%- if datepart != "year" %}
            + {{ datepart }}({{ second_day }}) - {{ datepart }}({{ first_day }})
            {%- endif %}
            as bigint
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff on Spark: unsupported date part '" ~ datepart ~ "' (day, month, quarter, year; week boundaries differ between engines: count days)") }}
    {%- endif -%}
{%- endmacro %}
