{#-
    One row per CRM user hired by the as-of date, with employment and ramp
    facts at the as-of date. A user leaving after the as-of date is employed;
    ramp_end_on = hired_on + ramp months (the user's, else var
    default_ramp_months).
-#}
with users as (
    select * from {{ ref('stg_crm__users') }}
    where hired_on <= {{ as_of_date() }}
),

final as (
    select
        users.user_id,
        managers.user_id as manager_id,
        users.source_relation,
        users.full_name,
        users.email,
        users.role,
        users.team,
        users.segment,
        users.region,
        users.annual_ote,
        coalesce(users.ramp_months, {{ var('default_ramp_months', 3) }}) as ramp_months,
        users.hired_on,
        case when users.left_on <= {{ as_of_date() }} then users.left_on end as left_on,
        cast({{ dbt.dateadd('month', 'coalesce(users.ramp_months, ' ~ var('default_ramp_months', 3) ~ ')', 'users.hired_on') }} as date) as ramp_end_on,
        users.left_on is null or users.left_on >= {{ as_of_date() }} as is_employed_at_as_of
    from users
    left join {{ ref('stg_crm__users') }} as managers
        on users.manager_id = managers.user_id
)

select * from final
