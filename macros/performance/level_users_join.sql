{#-
    The join level_name reads: dim_users as level_users, left-joined onto the
    manager and rep rows of `relation` (a relation with level and level_key,
    rolled up from owner_levels) by their user id.
-#}
{% macro level_users_join(relation) %}
    left join {{ ref('dim_users') }} as level_users
        on
            {{ relation }}.level in ('manager', 'rep')
            and {{ relation }}.level_key = level_users.user_id
{%- endmacro %}
