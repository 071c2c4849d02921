{#- Published money: two decimals (cents), so every engine shows the same digits. -#}
{% macro type_money() %}decimal(18, 2){% endmacro %}
