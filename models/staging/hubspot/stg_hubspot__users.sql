{#-
    HubSpot owners as contract `users`. HubSpot holds names and e-mails only:
    role, team, segment, region, manager, hire and leave dates, OTE and ramp
    come from the user's canonical `users` table (adapter_user_overrides);
    without it every owner is `other`, hired when the owner was created.
-#}
with owners as (select * from {{ ref('base_hubspot__owner') }}),

crm_users as (
    select
        owner_id as user_id,
        nullif(full_name, '') as full_name,
        email,
        'other' as role,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as segment,
        cast(null as {{ dbt.type_string() }}) as region,
        cast(null as {{ dbt.type_string() }}) as manager_id,
        coalesce(
            cast(created_at as date),
            cast('{{ var("adapter_default_hired_on", "1900-01-01") }}' as date)
        ) as hired_on,
        cast(null as date) as left_on,
        cast(null as {{ type_amount() }}) as annual_ote,
        cast(null as {{ dbt.type_int() }}) as ramp_months,
        source_relation
    from owners
),

final as (
    {{ adapter_user_overrides('crm_users', 'hubspot') }}
)

select * from final
