{#-
    CRM users with the attributes the CRM does not hold (role, team, hire and
    leave dates, OTE, ramp) taken from the user's own canonical `users` table
    when there is one: full outer join on user_id, every non-null value of
    the file wins, users only in the file are added. crm_users is a CTE with
    the contract columns and source_relation. With several connections
    (keys prefixed "<source_relation>:"), the file's rows are matched to the
    connections of source_name by their prefix, so a user only in the file
    is added once, to its own connection.
-#}
{% macro adapter_user_overrides(crm_users, source_name) %}
    {%- set overrides = canonical_relation("users") -%}
    {%- set connections = crm_connections(source_name) -%}
    {%- set prefixed = connections | selectattr("prefix_keys") | list | length > 0 -%}
    select
        coalesce(overrides.user_id, {{ crm_users }}.user_id) as user_id,
        coalesce(overrides.full_name, {{ crm_users }}.full_name) as full_name,
        coalesce(overrides.email, {{ crm_users }}.email) as email,
        coalesce(overrides.role, {{ crm_users }}.role) as role,  -- noqa: RF04
        coalesce(overrides.team, {{ crm_users }}.team) as team,
        coalesce(overrides.segment, {{ crm_users }}.segment) as segment,
        coalesce(overrides.region, {{ crm_users }}.region) as region,
        coalesce(overrides.manager_id, {{ crm_users }}.manager_id) as manager_id,
        coalesce(overrides.hired_on, {{ crm_users }}.hired_on) as hired_on,
        coalesce(overrides.left_on, {{ crm_users }}.left_on) as left_on,
        coalesce(overrides.annual_ote, {{ crm_users }}.annual_ote) as annual_ote,
        coalesce(overrides.ramp_months, {{ crm_users }}.ramp_months) as ramp_months,
        coalesce({{ crm_users }}.source_relation, overrides.source_relation) as source_relation
    from {{ crm_users }}
    full outer join (
        select * from (
            select
                cast(user_id as {{ dbt.type_string() }}) as user_id,
                cast(full_name as {{ dbt.type_string() }}) as full_name,
                cast(email as {{ dbt.type_string() }}) as email,
                lower(trim(cast(role as {{ dbt.type_string() }}))) as role,  -- noqa: RF04
                cast(team as {{ dbt.type_string() }}) as team,
                cast(segment as {{ dbt.type_string() }}) as segment,
                cast(region as {{ dbt.type_string() }}) as region,
                cast(manager_id as {{ dbt.type_string() }}) as manager_id,
                cast(hired_on as date) as hired_on,
                cast(left_on as date) as left_on,
                cast(annual_ote as {{ type_amount() }}) as annual_ote,
                cast(ramp_months as {{ dbt.type_int() }}) as ramp_months,
                case
                    {%- for connection in connections %}
                    when {% if prefixed %}cast(user_id as {{ dbt.type_string() }}) like '{{ connection.source_relation }}:%'{% else %}true{% endif %}
                        then '{{ connection.source_relation }}'
                    {%- endfor %}
                end as source_relation
            from {{ overrides }} as overrides
        ) as typed_overrides
        where source_relation is not null
    ) as overrides
        on {{ crm_users }}.user_id = overrides.user_id
{%- endmacro %}
