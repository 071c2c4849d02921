{#-
    Won bookings-type opportunities that no quota row covers: the owner has no
    quota period containing the close date, the owner is not a known user, or
    the deal has no owner. They count in the company's bookings but in no
    rep's attainment, so they are listed here (a warning) instead of being
    dropped silently: org bookings = sum of rep bookings + these.
-#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where
        is_won
        and is_bookings_type
),

quotas as (select * from {{ ref('stg_crm__quotas') }}),

users as (select * from {{ ref('stg_crm__users') }}),

users_with_quota as (
    select distinct user_id
    from quotas
),

uncovered as (
    select
        opportunities.opportunity_id,
        opportunities.owner_id,
        opportunities.opportunity_type,
        opportunities.segment,
        opportunities.close_date,
        opportunities.arr_amount
    from opportunities
    where not exists (
        select 1 from quotas
        where
            quotas.user_id = opportunities.owner_id
            and opportunities.close_date >= quotas.period_start
            and opportunities.close_date <= quotas.period_end
    )
),

final as (
    select
        uncovered.opportunity_id,
        uncovered.owner_id,
        users.full_name as owner_name,
        users.role as owner_role,
        uncovered.opportunity_type,
        uncovered.segment,
        uncovered.arr_amount,
        case
            when uncovered.owner_id is null then 'no owner'
            when users.user_id is null then 'owner is not a known user'
            when users_with_quota.user_id is null then 'owner has no quota'
            else 'no quota period of the owner covers the close date'
        end as problem,
        uncovered.close_date
    from uncovered
    left join users
        on uncovered.owner_id = users.user_id
    left join users_with_quota
        on uncovered.owner_id = users_with_quota.user_id
)

select * from final
