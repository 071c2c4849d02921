{#- True for a real calendar date written YYYY-MM-DD (2026-02-29 is not one; strptime would raise, and Jinja cannot catch). -#}
{% macro is_iso_date(text) %}
    {%- set match = modules.re.match("^([0-9]{4})-([0-9]{2})-([0-9]{2})$", text) -%}
    {%- if not match -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set year, month, day = match.group(1) | int, match.group(2) | int, match.group(3) | int -%}
    {%- set leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) -%}
    {%- set days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {{- return(1 <= month <= 12 and 1 <= day <= days[month - 1]) -}}
{% endmacro %}
