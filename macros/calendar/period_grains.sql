{#- The period grains every periodic mart is published at. -#}
{% macro period_grains() %}{{ return(["week", "month", "quarter", "year"]) }}{% endmacro %}
