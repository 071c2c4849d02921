{#- User roles: current versions, not deleted. -#}
with source as (
    {{ adapter_select('salesforce', 'user_role', [
        ['user_role_id', 'id', 'key'],
        ['parent_role_id', 'parent_role_id', 'key'],
        ['role_name', 'name', 'text'],
        ['developer_name', 'developer_name', 'text'],
    ] + fivetran_history_columns(soft_delete=false)) }}
),

current_roles as (
    select
        user_role_id,
        parent_role_id,
        role_name,
        developer_name,
        source_relation
    from source
    where
        {{ fivetran_is_current() }}
)

select * from current_roles
