{#-
    The dbt config of an incremental fact keyed by month
    (docs/decisions/0006-incremental.md): delete+insert per month start, the
    recomputed months cleared first (pre-hook), the account segment brought
    up to date on the kept months (post-hook; the model declares its
    dependency on dim_accounts). Used as {{ config(**month_keyed_incremental_config()) }}.
-#}
{% macro month_keyed_incremental_config() %}
    {{- return({
        "materialized": incremental_materialization(),
        "unique_key": "month_start",
        "incremental_strategy": "delete+insert",
        "on_schema_change": "fail",
        "pre_hook": "{{ delete_recomputed_months('month_start') }}",
        "post_hook": "{{ refresh_account_segment(ref('dim_accounts')) }}",
    }) -}}
{% endmacro %}
