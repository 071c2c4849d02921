{#- Money and rates inside the project: one exact decimal type on every engine. -#}
{% macro type_amount() %}decimal(28, 6){% endmacro %}
