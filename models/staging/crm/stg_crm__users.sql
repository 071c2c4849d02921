with source as (
    select * from {{ raw_relation('users') }}
),

renamed as (
    select
        {{ cast_columns(['user_id', 'manager_id', 'full_name', 'email'], dbt.type_string()) }},
        lower(trim(cast(role as {{ dbt.type_string() }}))) as role,  -- noqa: RF04
        {{ cast_columns(['team', 'segment', 'region'], dbt.type_string()) }},
        cast(annual_ote as {{ type_amount() }}) as annual_ote,
        cast(ramp_months as {{ dbt.type_int() }}) as ramp_months,
        cast(hired_on as date) as hired_on,
        cast(left_on as date) as left_on,
        {{ staged_source_relation('users', 'user_id') }} as source_relation
    from source
)

select * from renamed
