{#-
    Users: current versions, not deleted. HR attributes come from the fields
    of var salesforce_fields.user (custom fields by default).
-#}
with source as (
    {{ adapter_select('salesforce', 'user', [
        ['user_id', 'id', 'key'],
        ['manager_id', 'manager_id', 'key'],
        ['user_role_id', 'user_role_id', 'key'],
        ['full_name', 'name', 'text'],
        ['first_name', 'first_name', 'text'],
        ['last_name', 'last_name', 'text'],
        ['email', 'email', 'text'],
        ['team', adapter_field('salesforce', 'user', 'team'), 'text'],
        ['segment', adapter_field('salesforce', 'user', 'segment'), 'text'],
        ['region', adapter_field('salesforce', 'user', 'region'), 'text'],
        ['annual_ote', adapter_field('salesforce', 'user', 'annual_ote'), 'decimal'],
        ['ramp_months', adapter_field('salesforce', 'user', 'ramp_months'), 'integer'],
        ['hired_on', adapter_field('salesforce', 'user', 'hired_on'), 'date'],
        ['left_on', adapter_field('salesforce', 'user', 'left_on'), 'date'],
        ['created_on', 'created_date', 'date'],
        ['is_active', 'is_active', 'boolean'],
    ] + fivetran_history_columns()) }}
),

current_users as (
    select
        user_id,
        manager_id,
        user_role_id,
        coalesce(full_name, trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) as full_name,
        email,
        team,
        segment,
        region,
        annual_ote,
        ramp_months,
        hired_on,
        left_on,
        created_on,
        is_active,
        source_relation
    from source
    where
        {{ fivetran_is_current() }}
        and not coalesce(is_deleted, false)
)

select * from current_users
