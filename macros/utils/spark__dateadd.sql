{#-
    Spark version of dbt.dateadd, overriding dbt-spark's (a root-project macro
    wins dbt's dispatch). dbt-spark repeats its argument about six times (null
    checks, a separate time-of-day term), so nested date arithmetic (a period
    end of a period start of a dateadd ...) compiled to 650 KB of SQL for
    int_date_spine and Spark spent minutes planning it. timestampadd() names
    the argument once; like dbt-spark's and DuckDB's, the result is a
    timestamp with the time of day kept, and month arithmetic clamps to the
    end of a shorter month (Jan 31 + 1 month = Feb 28).
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- if datepart | lower not in ("year", "quarter", "month", "week", "day", "hour", "minute", "second") -%}
        {{ exceptions.raise_compiler_error("dateadd on Spark: unsupported date part '" ~ datepart ~ "'") }}
    {%- endif -%}
    timestampadd({{ datepart | upper }}, cast({{ interval }} as int), cast({{ from_date_or_timestamp }} as timestamp))
{%- endmacro %}
