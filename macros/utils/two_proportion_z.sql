{#-
    The two-proportion z statistic of rate 1 (x1 of n1) against rate 2 (x2 of
    n2), with the pooled rate: (x1/n1 - x2/n2) / sqrt(p (1 - p) (1/n1 + 1/n2)),
    p = (x1 + x2) / (n1 + n2). Negative when rate 1 is lower; |z| >= 1.645 is
    a difference unlikely (5 %, one-sided) to be noise. Null when either
    trial count is 0 or null, or the pooled rate is 0 or 1.
-#}
{% macro two_proportion_z(x1, n1, x2, n2) %}
    {%- set pooled = "(cast(" ~ x1 ~ " + " ~ x2 ~ " as " ~ type_double() ~ ") / nullif(" ~ n1 ~ " + " ~ n2 ~ ", 0))" -%}
    ({{ ratio(x1, n1) }} - {{ ratio(x2, n2) }})
    / nullif(sqrt({{ pooled }} * (1 - {{ pooled }}) * (1.0 / nullif({{ n1 }}, 0) + 1.0 / nullif({{ n2 }}, 0))), 0)
{%- endmacro %}
