with source as (
    select * from {{ raw_relation('users') }}
),

renamed as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(manager_id as {{ dbt.type_string() }}) as manager_id,
        cast(full_name as {{ dbt.type_string() }}) as full_name,
        cast(email as {{ dbt.type_string() }}) as email,
        lower(trim(cast(role as {{ dbt.type_string() }}))) as role,  -- noqa: RF04
        cast(team as {{ dbt.type_string() }}) as team,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(annual_ote as {{ type_amount() }}) as annual_ote,
        cast(ramp_months as {{ dbt.type_int() }}) as ramp_months,
        cast(hired_on as date) as hired_on,
        cast(left_on as date) as left_on,
        {{ staged_source_relation('users', 'user_id') }} as source_relation
    from source
)

select * from renamed
