{#-
    Every (manager, report) pair of the reporting tree, at any depth: the
    closure of dim_users.manager_id, walked by a bounded chain of self-joins
    (var max_manager_depth; no `with recursive`, which Spark lacks).
    depth 1 = direct report. A user is never their own manager, so a cycle in
    the raw data ends rather than loops; a chain deeper than the bound is
    flagged by this model's warning test.
-#}
with users as (select * from {{ ref('dim_users') }}),

closure as (
    {{ hierarchy_closure('users', 'user_id', 'manager_id', var('max_manager_depth', 10)) }}
),

final as (
    select
        ancestor_id as manager_id,
        descendant_id as user_id,
        depth
    from closure
)

select * from final
