{#-
    Join condition picking, from int_exchange_rate_ranges aliased `fx_alias`,
    the latest rate on or before date_expr for currency_expr. Rendered on one
    line so it lints the same wherever it is used.
-#}
{% macro fx_rate_join(fx_alias, currency_expr, date_expr) -%}
    {{ fx_alias }}.currency = {{ currency_expr }} and {{ date_expr }} >= {{ fx_alias }}.valid_from and ({{ fx_alias }}.valid_until is null or {{ date_expr }} < {{ fx_alias }}.valid_until)
{%- endmacro %}
