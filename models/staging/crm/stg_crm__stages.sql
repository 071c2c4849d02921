{#-
    The funnel configuration: the user's own `stages` raw table when there is
    one, else the `stages` seed shipped with the project. The optional
    forecast_category column is null where the user's table lacks it (and in
    the seed); there, a CRM connection's own category of the stage is taken
    when it has one (crm_stage_forecast_categories: the most common one, ties
    to the first name). dim_stages derives the rest.
-#}
-- depends_on: {{ ref('stages') }}
with configured as (
    {% if raw_table_exists('stages') -%}
        select * from {{ canonical_relation('stages') }} as raw_stages
    {%- else -%}
        select
            *,
            cast(null as {{ dbt.type_string() }}) as forecast_category
        from {{ ref('stages') }}
    {%- endif %}
),

crm_categories as (
    select * from {{ crm_stage_forecast_categories() }} as crm_stage_categories
),

ranked_crm_categories as (
    select
        stage_name,
        forecast_category,
        row_number() over (
            partition by stage_name
            order by sum(weight) desc, forecast_category asc
        ) as category_rank
    from crm_categories
    group by
        stage_name,
        forecast_category
),

renamed as (
    select
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(stage_number as {{ dbt.type_int() }}) as stage_number,
        cast(forecast_probability as {{ type_amount() }}) as forecast_probability,
        cast(is_closed as {{ dbt.type_boolean() }}) as is_closed,
        cast(is_won as {{ dbt.type_boolean() }}) as is_won,
        lower(trim(cast(forecast_category as {{ dbt.type_string() }}))) as configured_forecast_category
    from configured
),

final as (
    select
        renamed.stage_name,
        renamed.stage_number,
        renamed.forecast_probability,
        renamed.is_closed,
        renamed.is_won,
        coalesce(renamed.configured_forecast_category, ranked_crm_categories.forecast_category) as forecast_category,
        case
            when renamed.configured_forecast_category is not null then 'config'
            when ranked_crm_categories.forecast_category is not null then 'crm'
        end as forecast_category_source
    from renamed
    left join ranked_crm_categories
        on
            renamed.stage_name = ranked_crm_categories.stage_name
            and ranked_crm_categories.category_rank = 1
)

select * from final
