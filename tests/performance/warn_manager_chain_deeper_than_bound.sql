{#-
    Warning: the reporting tree is not a tree the roll-ups can trust.
    - deeper than var max_manager_depth: a pair at the deepest level whose
      top manager has a manager of their own (the walk stopped early, so
      managers above the bound miss reports in manager_tree); raise the var;
    - a cycle (A above B and B above A): both appear in each other's tree.
-#}
{{ config(severity="warn") }}

with hierarchy as (
    select * from {{ ref('int_user_hierarchy') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

too_deep as (
    select
        'deeper than max_manager_depth' as problem,
        hierarchy.manager_id,
        hierarchy.user_id
    from hierarchy
    inner join users
        on hierarchy.manager_id = users.user_id
    where hierarchy.depth = {{ var('max_manager_depth', 10) }}
        and users.manager_id is not null
),

cycles as (
    select
        'cycle' as problem,
        hierarchy.manager_id,
        hierarchy.user_id
    from hierarchy
    inner join hierarchy as reverse_pairs
        on hierarchy.manager_id = reverse_pairs.user_id
            and hierarchy.user_id = reverse_pairs.manager_id
)

select * from too_deep
union all
select * from cycles
