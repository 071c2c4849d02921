{#-
    numerator / denominator rounded to cents (half away from zero), exactly:
    numerator is a money or amount expression (at most 6 decimals),
    denominator a positive integer expression (a count, 12 months, ...).
    Null when the denominator is 0 or null. Used for averages and shares of
    money that finance re-adds (avg deal size, OTE per month).
-#}
{% macro money_divide(numerator, denominator) %}
    {{- return(adapter.dispatch("money_divide", "sales_kpis")(numerator, denominator)) -}}
{% endmacro %}

{#- Decimal division is exact enough on PostgreSQL and Spark; round() is half away from zero. -#}
{% macro default__money_divide(numerator, denominator) %}
    cast(round(cast({{ numerator }} as {{ type_amount() }}) / nullif({{ denominator }}, 0), 2) as {{ type_money() }})
{%- endmacro %}

{#-
    DuckDB divides decimals in double precision, which misrounds exact
    half-cent results (100.01 / 2): divide integer micro-units instead.
-#}
{% macro duckdb__money_divide(numerator, denominator) %}
    cast(
        sign(cast({{ numerator }} as {{ type_amount() }}))
        * cast(
            (abs(cast(cast({{ numerator }} as {{ type_amount() }}) * 1000000 as hugeint)) + 5000 * cast(nullif({{ denominator }}, 0) as hugeint))
            // (10000 * cast(nullif({{ denominator }}, 0) as hugeint))
            as decimal(38, 0)
        )
        * cast(0.01 as decimal(3, 2))
        as {{ type_money() }}
    )
{%- endmacro %}
