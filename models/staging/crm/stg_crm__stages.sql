{#-
    The funnel configuration: the user's own `stages` raw table when there is
    one, else the `stages` seed shipped with the project.
-#}
-- depends_on: {{ ref('stages') }}
with configured as (
    {% if raw_table_exists('stages') -%}
        select * from {{ source('crm', 'stages') }}
    {%- else -%}
        select * from {{ ref('stages') }}
    {%- endif %}
),

renamed as (
    select
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(stage_number as {{ dbt.type_int() }}) as stage_number,
        cast(forecast_probability as {{ type_amount() }}) as forecast_probability,
        cast(is_closed as {{ dbt.type_boolean() }}) as is_closed,
        cast(is_won as {{ dbt.type_boolean() }}) as is_won
    from configured
)

select * from renamed
