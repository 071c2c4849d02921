{#-
    Pre-hook of an incremental model keyed by month: before the run inserts
    the months it recomputed, delete every stored row of those months (all
    rows when the run rebuilds in full: an earlier as-of date, a long gap).
    dbt's delete+insert only deletes the months present in the new batch, so
    without this a month end after an earlier as-of date, or a month left
    with no rows, would stay. Runs before the model's SQL, on the table as
    the last build left it, so it sees the same look-back as the model.
    Nothing to do outside incremental runs.
-#}
{% macro delete_recomputed_months(month_column="month_start") %}
    {%- if this is not none and is_incremental() -%}
        {%- set bounds = incremental_month_bounds(incremental_lookback_start()) -%}
        delete from {{ this }}
        where {{ month_column }} >= {{ bounds.first }}
    {%- endif -%}
{% endmacro %}
