{#-
    The funnel configuration: the user's own `stages` raw table when there is
    one, else the `stages` seed shipped with the project. The optional
    forecast_category column is null where the user's table lacks it (and in
    the seed).
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

renamed as (
    select
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(stage_number as {{ dbt.type_int() }}) as stage_number,
        cast(forecast_probability as {{ type_amount() }}) as forecast_probability,
        cast(is_closed as {{ dbt.type_boolean() }}) as is_closed,
        cast(is_won as {{ dbt.type_boolean() }}) as is_won,
        lower(trim(cast(forecast_category as {{ dbt.type_string() }}))) as forecast_category
    from configured
)

select * from renamed
