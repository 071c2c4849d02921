{#-
    For an incremental model (docs/decisions/0006-incremental.md): the first
    day ('YYYY-MM-DD') of the look-back window of this run, i.e. the as-of date
    the existing table was built for minus var incremental_lookback_days; none
    when the model must be built in full: first build, --full-refresh, a
    non-incremental materialisation, an as-of date earlier than the stored
    one, or a gap longer than var incremental_max_gap_days.
-#}
{% macro incremental_lookback_start(built_as_of_column="built_as_of_date") %}
    {%- if not execute or this is none or not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute="name") | map("lower") | list -%}
    {%- if built_as_of_column | lower not in existing -%}
        {#- a table from before the watermark existed: dbt's on_schema_change reports it -#}
        {{- return(none) -}}
    {%- endif -%}
    {%- set stored = run_query("select max(" ~ built_as_of_column ~ ") from " ~ this).columns[0].values()[0] -%}
    {%- if stored is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set stored_day = modules.datetime.datetime.strptime((stored | string)[:10], "%Y-%m-%d") -%}
    {%- set as_of_day = modules.datetime.datetime.strptime(as_of_date_string(), "%Y-%m-%d") -%}
    {%- set gap_days = (as_of_day - stored_day).days -%}
    {%- if gap_days < 0 or gap_days > var("incremental_max_gap_days", 31) | int -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set start = stored_day - modules.datetime.timedelta(days=var("incremental_lookback_days", 7) | int) -%}
    {{- return(start.strftime("%Y-%m-%d")) -}}
{% endmacro %}
