{#-
    The terms of the historical stage win rates the pipeline forecast weighs
    open deals with (kpi_forecast; the weighted coverage of
    kpi_pipeline_coverage uses the same): for each date T of `dates` (a
    relation with forecast_date and day_after = T + 1), each opportunity type
    and each stage number, the arr_amount won and closed among the deals of
    `opportunities` (fct_opportunities rows) closed in the var
    forecast_win_rate_window_months months up to T that had reached that stage
    by T. A stage's rate at T is won_arr / closed_arr.
-#}
{% macro stage_win_rate_terms(dates, opportunities) %}
    select
        {{ dates }}.forecast_date,
        {{ opportunities }}.opportunity_type,
        stages_reached.stage_number,
        sum(case when {{ opportunities }}.is_won then {{ opportunities }}.arr_amount else 0 end) as won_arr,
        sum({{ opportunities }}.arr_amount) as closed_arr
    from {{ dates }}
    inner join {{ opportunities }}
        on
            {{ opportunities }}.is_closed
            and {{ dates }}.forecast_date >= {{ opportunities }}.close_date
            and {{ opportunities }}.close_date > cast({{ dbt.dateadd('month', -1 * var('forecast_win_rate_window_months', 12), dates ~ '.forecast_date') }} as date)
    inner join {{ ref('int_opportunity_stages_reached') }} as stages_reached
        on
            {{ opportunities }}.opportunity_id = stages_reached.opportunity_id
            and stages_reached.first_reached_at < cast({{ dates }}.day_after as {{ dbt.type_timestamp() }})
    group by
        {{ dates }}.forecast_date,
        {{ opportunities }}.opportunity_type,
        stages_reached.stage_number
{%- endmacro %}
