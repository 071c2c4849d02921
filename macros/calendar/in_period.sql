{#-
    Condition: a date falls in a period, both bounds included
    (`<period_start> <= <date> and <period_end> >= <date>`). The one way
    models bound an event, a day or a month by a period or an as-of date.
-#}
{% macro in_period(date, period_start, period_end) %}
    {{- period_start }} <= {{ date }}
            and {{ period_end }} >= {{ date -}}
{%- endmacro %}
