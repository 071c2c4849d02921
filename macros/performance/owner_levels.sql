{#-
    The rows of `relation` (a CTE with an owner column) once per level they
    count at (docs/decisions/0033-levels.md), with level and level_key:
    - company (level_key null): every row, owners unknown or null included;
    - team: the owner's team in dim_users (`unknown` when the user has none);
    - manager: the owner's manager_id, for owners who have one;
    - rep: the owner, for owners known to dim_users.
    A row whose owner is null or not a user counts for the company only (the
    contract's repair of an orphaned or missing owner). Aggregated by level
    and level_key afterwards, team and manager rows are sums of their reps'
    and company rows the sum of everything.
-#}
{% macro owner_levels(relation, owner_column="owner_id") %}
    select
        'company' as level,
        cast(null as {{ dbt.type_string() }}) as level_key,
        {{ relation }}.*
    from {{ relation }}
    {%- for level, key in [("team", "coalesce(level_users.team, 'unknown')"), ("manager", "level_users.manager_id"), ("rep", "level_users.user_id")] %}
    union all
    select
        '{{ level }}' as level,
        cast({{ key }} as {{ dbt.type_string() }}) as level_key,
        {{ relation }}.*
    from {{ relation }}
    inner join {{ ref('dim_users') }} as level_users
        on {{ relation }}.{{ owner_column }} = level_users.user_id
    {%- if level == "manager" %}
    where level_users.manager_id is not null
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
