{#-
    The contract forecast category (pipeline, best_case, commit, closed,
    omitted) of a CRM's category value: Salesforce's ForecastCategoryName
    ('Best Case', 'Commit', ...) and ForecastCategory ('BestCase',
    'Forecast' = commit), HubSpot's internal values ('BEST_CASE', 'OMIT',
    'NOT_FORECASTED', ...). Matched case-insensitively without spaces and
    underscores; anything else is null (the stage's category is then derived).
-#}
{% macro adapter_forecast_category(expression) %}
    {%- set normalised = "replace(replace(lower(trim(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "))), ' ', ''), '_', '')" -%}
    case {{ normalised }}
        when 'pipeline' then 'pipeline'
        when 'bestcase' then 'best_case'
        when 'commit' then 'commit'
        when 'forecast' then 'commit'
        when 'closed' then 'closed'
        when 'closedwon' then 'closed'
        when 'omitted' then 'omitted'
        when 'omit' then 'omitted'
        when 'notforecasted' then 'omitted'
    end
{%- endmacro %}
