{#-
    The first instant after the as-of day. An event is known at the as-of date
    when its timestamp is before this cutoff (the as-of day itself included).
-#}
{% macro as_of_cutoff() %}
    {%- set day = modules.datetime.datetime.strptime(as_of_date_string(), "%Y-%m-%d") + modules.datetime.timedelta(days=1) -%}
    cast('{{ day.strftime("%Y-%m-%d") }} 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}
