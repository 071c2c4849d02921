{#-
    The name of a level row rolled up from owner_levels: the team's name for
    a team row (its level_key), the user's full_name for a manager or rep
    row, null for the company row. The select must carry level_users_join,
    where the user's name is read.
-#}
{% macro level_name(relation) %}
    case
            when {{ relation }}.level = 'team' then {{ relation }}.level_key
            when {{ relation }}.level in ('manager', 'rep') then level_users.full_name
        end
{%- endmacro %}
