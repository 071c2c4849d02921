{#-
    The stage a deal was in: its latest entry of `entries`
    (int_opportunity_stage_entries rows): the latest entry time first (an
    aggregate), then, among the few entries at that time, the won stage
    first, then by stage name. With `deals` (a relation with opportunity_id
    and a date column `date_column`, T), one row per deal and T, read from
    the entries made by the end of T; without, one row per deal, read from
    all of `entries` (already cut at the as-of date). Columns: the date
    column (with deals), opportunity_id, stage_name, stage_number.
-#}
{% macro latest_stage_entries(entries, deals=none, date_column=none) %}
    {%- set dated = (date_column ~ ", ") if deals else "" -%}
    {%- set deal_dated = (deals ~ "." ~ date_column ~ ", ") if deals else "" -%}
    {%- set entry_dated = ("last_entry_times." ~ date_column ~ ", ") if deals else "" -%}
    select
        {{ dated }}opportunity_id,
        stage_name,
        stage_number
    from (
        select
            {{ entry_dated }}{{ entries }}.opportunity_id,
            {{ entries }}.stage_name,
            {{ entries }}.stage_number,
            row_number() over (
                partition by {{ entry_dated }}{{ entries }}.opportunity_id
                order by {{ entries }}.is_won desc, {{ entries }}.stage_name asc
            ) as entry_rank
        from (
            select
                {{ deal_dated }}{{ entries }}.opportunity_id,
                max({{ entries }}.entered_at) as last_entered_at
            from {% if deals %}{{ deals }}
            inner join {{ entries }}
                on
                    {{ deals }}.opportunity_id = {{ entries }}.opportunity_id
                    and {{ entries }}.entered_at < cast({{ dbt.dateadd('day', 1, deals ~ '.' ~ date_column) }} as {{ dbt.type_timestamp() }})
            {%- else %}{{ entries }}{% endif %}
            group by {{ deal_dated }}{{ entries }}.opportunity_id
        ) as last_entry_times
        inner join {{ entries }}
            on
                last_entry_times.opportunity_id = {{ entries }}.opportunity_id
                and last_entry_times.last_entered_at = {{ entries }}.entered_at
    ) as ranked_entries
    where entry_rank = 1
{%- endmacro %}
