{#-
    CRM users with the attributes the CRM does not hold (role, team, hire and
    leave dates, OTE, ramp) taken from the user's own canonical `users` table
    when there is one: full outer join on user_id, every non-null value of
    the file wins, users only in the file are added. crm_users is a CTE with
    the contract columns and source_relation.
-#}
{% macro adapter_user_overrides(crm_users) %}
    {%- set overrides = raw_relation("users") -%}
    select
        coalesce(cast(overrides.user_id as {{ dbt.type_string() }}), {{ crm_users }}.user_id) as user_id,
        coalesce(cast(overrides.full_name as {{ dbt.type_string() }}), {{ crm_users }}.full_name) as full_name,
        coalesce(cast(overrides.email as {{ dbt.type_string() }}), {{ crm_users }}.email) as email,
        coalesce(lower(trim(cast(overrides.role as {{ dbt.type_string() }}))), {{ crm_users }}.role) as role,  -- noqa: RF04
        coalesce(cast(overrides.team as {{ dbt.type_string() }}), {{ crm_users }}.team) as team,
        coalesce(cast(overrides.segment as {{ dbt.type_string() }}), {{ crm_users }}.segment) as segment,
        coalesce(cast(overrides.region as {{ dbt.type_string() }}), {{ crm_users }}.region) as region,
        coalesce(cast(overrides.manager_id as {{ dbt.type_string() }}), {{ crm_users }}.manager_id) as manager_id,
        coalesce(cast(overrides.hired_on as date), {{ crm_users }}.hired_on) as hired_on,
        coalesce(cast(overrides.left_on as date), {{ crm_users }}.left_on) as left_on,
        coalesce(cast(overrides.annual_ote as {{ type_amount() }}), {{ crm_users }}.annual_ote) as annual_ote,
        coalesce(cast(overrides.ramp_months as {{ dbt.type_int() }}), {{ crm_users }}.ramp_months) as ramp_months,
        {{ crm_users }}.source_relation
    from {{ crm_users }}
    full outer join {{ overrides }} as overrides
        on {{ crm_users }}.user_id = cast(overrides.user_id as {{ dbt.type_string() }})
{%- endmacro %}
