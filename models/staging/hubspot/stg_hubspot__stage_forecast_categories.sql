{#-
    The forecast category HubSpot gives each stage, where the sync has it
    (base_hubspot__deal_pipeline_stage.forecast_category): one row per stage
    label and category, weighted by how many stage ids (pipelines) carry it.
-#}
with stages as (select * from {{ ref('base_hubspot__deal_pipeline_stage') }}),

categorised as (
    select
        stage_label as stage_name,
        {{ adapter_forecast_category('forecast_category') }} as forecast_category
    from stages
),

final as (
    select
        stage_name,
        forecast_category,
        count(*) as weight
    from categorised
    where
        stage_name is not null
        and forecast_category is not null
    group by
        stage_name,
        forecast_category
)

select * from final
