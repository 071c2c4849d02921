{#-
    The forecast category Salesforce gives each stage: the ForecastCategoryName
    of the (not deleted) opportunities now in that stage, one row per stage
    and category with how many carry it (weight). A stage's category is its
    picklist default, which every opportunity entering it takes; stg_crm__stages
    keeps the most common one, so a few opportunities overridden by hand do not
    change the stage's category.
-#}
with opportunities as (select * from {{ ref('base_salesforce__opportunity') }}),

final as (
    select
        stage_name,
        forecast_category,
        count(*) as weight
    from opportunities
    where
        not is_deleted
        and stage_name is not null
        and forecast_category is not null
    group by
        stage_name,
        forecast_category
)

select * from final
