{#-
    numerator / denominator as a 64-bit float (type_double), null when the
    denominator is 0 or null. Every published rate uses it, next to its
    numerator and denominator.
-#}
{% macro ratio(numerator, denominator) %}
    cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0)
{%- endmacro %}
