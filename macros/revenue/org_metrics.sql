{#-
    The catalogue of metrics that targets (int_target_attainment, read by
    kpi_org_attainment and kpi_product_launch_attainment) and forecasts
    (kpi_forecast) are measured on. Each entry:
    - metric: the KPI name, as used in the targets table;
    - source: bookings (won opportunities, dated by close date), arr_movements
      (account, and account x product, ARR movements, dated at month ends) or
      funnel (int_org_funnel_daily: SQLs, stage-1 entries);
    - value (bookings, arr_movements): what a row adds, summed per day; where
      (bookings): which won opportunities count;
    - measured_at: day or month_end (ARR is measured at month ends, and on
      the as-of date for the as-of month to date);
    - supports_segment / supports_product: whether a segment or product target
      can be measured on it;
    - is_forecastable: kpi_forecast publishes a forecast for it;
    - pipeline_types: opportunity types whose open pipeline feeds its pipeline
      forecast.
    A target naming a metric outside this list is published with
    metric_status 'unknown_metric' and fails a warning test.
-#}
{% macro org_metrics() %}
    {%- set bookings_types = var("bookings_opportunity_types") -%}
    {#- ARR movement metrics: at month ends, by segment and product, not forecast unless said. -#}
    {%- set movement = {"source": "arr_movements", "measured_at": "month_end", "supports_segment": true, "supports_product": true, "is_forecastable": false, "pipeline_types": []} -%}
    {{- return([
        {"metric": "new_business_arr", "source": "bookings", "where": "opportunity_type = 'new_business'", "value": "arr_amount", "measured_at": "day", "supports_segment": true, "supports_product": true, "is_forecastable": true, "pipeline_types": ["new_business"]},
        {"metric": "bookings_arr", "source": "bookings", "where": "is_bookings_type", "value": "arr_amount", "measured_at": "day", "supports_segment": true, "supports_product": true, "is_forecastable": true, "pipeline_types": bookings_types},
        {"metric": "won_opportunities", "source": "bookings", "where": "is_bookings_type", "value": "1", "measured_at": "day", "supports_segment": true, "supports_product": true, "is_forecastable": false, "pipeline_types": []},
        dict(movement, metric="net_new_arr", value="net_new_arr", is_forecastable=true, pipeline_types=bookings_types),
        dict(movement, metric="expansion_arr", value="expansion_arr", is_forecastable=true, pipeline_types=["expansion"]),
        dict(movement, metric="new_arr", value="new_arr"),
        dict(movement, metric="reactivation_arr", value="reactivation_arr"),
        dict(movement, metric="contraction_arr", value="contraction_arr"),
        dict(movement, metric="churned_arr", value="churned_arr"),
        dict(movement, metric="new_customers", value="case when movement_type = 'new' then 1 else 0 end"),
        dict(movement, metric="churned_customers", value="case when movement_type = 'churn' then 1 else 0 end"),
        {"metric": "sqls", "source": "funnel", "measured_at": "day", "supports_segment": false, "supports_product": false, "is_forecastable": false, "pipeline_types": []},
        {"metric": "stage1_opportunities", "source": "funnel", "measured_at": "day", "supports_segment": true, "supports_product": true, "is_forecastable": false, "pipeline_types": []},
    ]) -}}
{% endmacro %}

{#- The catalogue as SQL rows (one select per metric, unioned), for a CTE. -#}
{% macro org_metrics_relation() %}
    {%- for entry in org_metrics() %}
    select
        '{{ entry.metric }}' as metric,
        '{{ entry.source }}' as metric_source,
        '{{ entry.measured_at }}' as measured_at,
        {{ entry.supports_segment }} as supports_segment,
        {{ entry.supports_product }} as supports_product,
        {{ entry.is_forecastable }} as is_forecastable
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- (metric, opportunity_type) pairs whose open pipeline feeds a metric's pipeline forecast, for a CTE. -#}
{% macro org_metric_pipeline_types_relation() %}
    {%- set pairs = [] -%}
    {%- for entry in org_metrics() -%}
        {%- for opportunity_type in entry.pipeline_types -%}
            {%- do pairs.append((entry.metric, opportunity_type)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for metric, opportunity_type in pairs %}
    select
        '{{ metric }}' as metric,
        '{{ opportunity_type }}' as opportunity_type
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
