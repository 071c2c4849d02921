{#-
    Salesforce users as contract `users`: role from the UserRole name
    (salesforce_role), team / segment / region / hire and leave dates / OTE /
    ramp from the fields of var salesforce_fields.user; hired_on falls back
    to the user's creation date, then var adapter_default_hired_on. A
    canonical `users` table, when provided, overrides any attribute
    (adapter_user_overrides).
-#}
with users as (select * from {{ ref('base_salesforce__user') }}),

user_roles as (select * from {{ ref('base_salesforce__user_role') }}),

crm_users as (
    select
        users.user_id,
        users.full_name,
        users.email,
        {{ salesforce_role('user_roles.role_name') }} as role,  -- noqa: RF04
        users.team,
        users.segment,
        users.region,
        users.manager_id,
        coalesce(
            users.hired_on,
            users.created_on,
            cast('{{ var("adapter_default_hired_on", "1900-01-01") }}' as date)
        ) as hired_on,
        users.left_on,
        users.annual_ote,
        users.ramp_months,
        users.source_relation
    from users
    left join user_roles
        on users.user_role_id = user_roles.user_role_id
),

final as (
    {{ adapter_user_overrides('crm_users', 'salesforce') }}
)

select * from final
