{#-
    For an incremental model keyed by month (docs/decisions/0006-incremental.md):
    the months a run recomputes, as SQL date literals. `first` is the first day
    of the month containing the look-back start (incremental_lookback_start()),
    `previous` the first day of the month before it (its ARR is the first
    recomputed month's starting ARR). A full build (lookback_start none)
    recomputes every month: both are 1900-01-01.
-#}
{% macro incremental_month_bounds(lookback_start) %}
    {%- if lookback_start is none -%}
        {{- return({"first": "cast('1900-01-01' as date)", "previous": "cast('1900-01-01' as date)"}) -}}
    {%- endif -%}
    {%- set first_month = modules.datetime.datetime.strptime(lookback_start[:7] ~ "-01", "%Y-%m-%d") -%}
    {%- set previous_month = (first_month - modules.datetime.timedelta(days=1)).replace(day=1) -%}
    {{- return({
        "first": "cast('" ~ first_month.strftime("%Y-%m-%d") ~ "' as date)",
        "previous": "cast('" ~ previous_month.strftime("%Y-%m-%d") ~ "' as date)",
    }) -}}
{% endmacro %}
