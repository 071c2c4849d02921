{#-
    One row per stage of the funnel configuration, with its forecast
    category: the configuration's, else the CRM connection's
    (stg_crm__stages), else derived from the stage (docs/spec/kpi_definitions.md,
    section 7): won = closed, lost = omitted, stage 0 = omitted, forecast
    probability >= 0.7 = commit, >= 0.4 = best_case, else pipeline.
-#}
with stages as (select * from {{ ref('stg_crm__stages') }}),

final as (
    select
        stage_name,
        stage_number,
        is_closed,
        is_won,
        forecast_probability,
        coalesce(
            forecast_category,
            case
                when is_won then 'closed'
                when is_closed then 'omitted'
                when stage_number = 0 then 'omitted'
                when forecast_probability >= 0.7 then 'commit'
                when forecast_probability >= 0.4 then 'best_case'
                else 'pipeline'
            end
        ) as forecast_category,
        coalesce(forecast_category_source, 'derived') as forecast_category_source
    from stages
)

select * from final
