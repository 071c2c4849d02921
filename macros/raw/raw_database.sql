{% macro raw_database() %}{{ return(var("raw_database", none) or target.database or none) }}{% endmacro %}
