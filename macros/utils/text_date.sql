{#-
    A date held as text, as CRM property histories write it: an ISO date or
    timestamp ('2024-03-31', '2024-03-31T00:00:00Z'), or epoch milliseconds
    ('1711843200000', HubSpot's date properties). Empty text is null.
-#}
{% macro text_date(expression) %}
    {%- set value = "nullif(trim(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ ")), '')" -%}
    case
        when {{ value }} like '%-%' then cast({{ utc_timestamp(value) }} as date)
        else cast({{ epoch_millis_timestamp(try_cast(value, dbt.type_bigint())) }} as date)
    end
{%- endmacro %}
