{#-
    Every day the KPIs can refer to: from the start of the fiscal year of the
    earliest dated raw event to the end of the fiscal year that contains
    as_of_date + calendar_horizon_days (open deals close in the future).
-#}
with leads as (select * from {{ ref('stg_crm__leads') }}),

opportunities as (select * from {{ ref('stg_crm__opportunities') }}),

subscriptions as (select * from {{ ref('stg_crm__subscriptions') }}),

quotas as (select * from {{ ref('stg_crm__quotas') }}),

targets as (select * from {{ ref('stg_crm__targets') }}),

users as (select * from {{ ref('stg_crm__users') }}),

first_dates as (
    select min(cast(created_at as date)) as first_date from leads
    union all
    select min(cast(created_at as date)) from opportunities
    union all
    select min(starts_on) from subscriptions
    union all
    select min(period_start) from quotas
    union all
    select min(period_start) from targets
    union all
    select min(hired_on) from users
    union all
    select {{ as_of_date() }}
),

bounds as (
    select
        {{ period_start('year', 'min(first_date)') }} as start_day,
        {{ period_end('year', period_start('year', dbt.dateadd('day', var('calendar_horizon_days', 730), as_of_date()))) }} as end_day
    from first_dates
),

spine as (
    {{ date_spine('(select start_day from bounds)', '(select end_day from bounds)') }}
)

select * from spine
