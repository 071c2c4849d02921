{#-
    One row per quota row (user x quota period). Every quota row keeps its
    row: reps who left during the period, periods not started yet (bookings
    0) and quotas of users unknown to the CRM (attributes null).
    - The rep's closed and created bookings-type opportunities
      (fct_opportunities) are aggregated per owner and day first, then
      range-joined to the quota periods (close date, or stage-1 day, within
      the period and on or before the as-of date).
    - A quota period is the unit: one crossing a fiscal year or quarter keeps
      its own dates, is labelled with the fiscal year and quarter it ends in,
      and is flagged. Months in the period count whole calendar months plus
      the rest as a share of the month it falls in (period OTE).
    - The period elapsed is period_elapsed(), as everywhere.
    - The pace of the previous period: the rep's quota row as many months
      long ending the day before, with the bookings of its first
      days_elapsed days.
    What each column means: the doc blocks of its yml.
-#}
with quotas as (select * from {{ ref('stg_crm__quotas') }}),

users as (select * from {{ ref('dim_users') }}),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where
        is_bookings_type
        and owner_id is not null
),

-- Aggregated to owner x day before the range join to quota periods.
closed_by_day as (
    select
        owner_id,
        close_date as activity_on,
        sum(case when is_won then 1 else 0 end) as won_opportunities,
        count(*) as closed_opportunities,
        sum(case when is_won then arr_amount else 0 end) as bookings_arr,
        sum(case when is_won and opportunity_type = 'new_business' then arr_amount else 0 end) as new_business_arr,
        0 as pipeline_created_opportunities,
        cast(0 as {{ type_money() }}) as pipeline_created_arr
    from opportunities
    where is_closed
    group by
        owner_id,
        close_date
),

created_by_day as (
    select
        owner_id,
        cast(stage1_reached_at as date) as activity_on,
        0 as won_opportunities,
        0 as closed_opportunities,
        cast(0 as {{ type_money() }}) as bookings_arr,
        cast(0 as {{ type_money() }}) as new_business_arr,
        count(*) as pipeline_created_opportunities,
        sum(arr_amount) as pipeline_created_arr
    from opportunities
    where stage1_reached_at is not null
    group by
        owner_id,
        cast(stage1_reached_at as date)
),

activity_by_day as (
    select * from closed_by_day
    union all
    select * from created_by_day
),

attained as (
    select
        quotas.user_id,
        quotas.period_start,
        quotas.period_end,
        quotas.source_relation,
        quotas.quota_amount,
        coalesce(sum(activity_by_day.won_opportunities), 0) as won_opportunities,
        coalesce(sum(activity_by_day.closed_opportunities), 0) as closed_opportunities,
        coalesce(sum(activity_by_day.bookings_arr), 0) as bookings_arr,
        coalesce(sum(activity_by_day.new_business_arr), 0) as new_business_arr,
        coalesce(sum(activity_by_day.pipeline_created_opportunities), 0) as pipeline_created_opportunities,
        coalesce(sum(activity_by_day.pipeline_created_arr), 0) as pipeline_created_arr
    from quotas
    left join activity_by_day
        on
            quotas.user_id = activity_by_day.owner_id
            and {{ in_period('activity_by_day.activity_on', 'quotas.period_start', 'quotas.period_end') }}
    group by
        quotas.user_id,
        quotas.period_start,
        quotas.period_end,
        quotas.source_relation,
        quotas.quota_amount
),

quota_elapsed as (
    select
        user_id,
        period_start,
        {{ period_elapsed('period_start', 'period_end') }}
    from quotas
),

-- The rep's previous quota row (as many months long, ending the day before)
-- and its bookings over as many of its first days as this period has elapsed.
prior_quotas as (
    select
        quotas.user_id,
        quotas.period_start,
        previous_quotas.period_start as prior_period_start,
        previous_quotas.period_end as prior_period_end,
        previous_quotas.quota_amount as prior_period_quota_amount,
        cast({{ dbt.dateadd('day', 'quota_elapsed.days_elapsed - 1', 'previous_quotas.period_start') }} as date) as prior_measured_through
    from quotas
    inner join quotas as previous_quotas
        on
            quotas.user_id = previous_quotas.user_id
            and cast({{ dbt.dateadd('day', -1, 'quotas.period_start') }} as date) = previous_quotas.period_end
            and {{ dbt.datediff('quotas.period_start', dbt.dateadd('day', 1, 'quotas.period_end'), 'month') }}
            = {{ dbt.datediff('previous_quotas.period_start', dbt.dateadd('day', 1, 'previous_quotas.period_end'), 'month') }}
    inner join quota_elapsed
        on
            quotas.user_id = quota_elapsed.user_id
            and quotas.period_start = quota_elapsed.period_start
),

prior_bookings as (
    select
        prior_quotas.user_id,
        prior_quotas.period_start,
        prior_quotas.prior_period_start,
        prior_quotas.prior_period_end,
        prior_quotas.prior_period_quota_amount,
        coalesce(sum(activity_by_day.bookings_arr), 0) as prior_period_bookings_arr_to_date
    from prior_quotas
    left join activity_by_day
        on
            prior_quotas.user_id = activity_by_day.owner_id
            and {{ in_period('activity_by_day.activity_on', 'prior_quotas.prior_period_start', 'prior_quotas.prior_period_end') }}
            and prior_quotas.prior_measured_through >= activity_by_day.activity_on
    group by
        prior_quotas.user_id,
        prior_quotas.period_start,
        prior_quotas.prior_period_start,
        prior_quotas.prior_period_end,
        prior_quotas.prior_period_quota_amount
),

-- Months in the period: whole calendar months from period_start, plus the
-- rest as a fraction of the month it falls in (Jan 1 - Mar 31 = 3;
-- Jan 15 - Feb 14 = 1; Jan 1 - Jan 15 = 15/31).
period_months as (
    select
        user_id,
        period_start,
        period_end,
        {{ completed_months('period_start', dbt.dateadd('day', 1, 'period_end')) }} as whole_months
    from attained
),

period_month_parts as (
    select
        user_id,
        period_start,
        whole_months,
        {{ dbt.datediff(dbt.dateadd('month', 'whole_months', 'period_start'), dbt.dateadd('day', 1, 'period_end'), 'day') }} as remaining_days,
        {{ dbt.datediff(dbt.dateadd('month', 'whole_months', 'period_start'), dbt.dateadd('month', 'whole_months + 1', 'period_start'), 'day') }} as partial_month_days
    from period_months
),

joined as (
    select
        attained.user_id,
        attained.period_start,
        attained.period_end,
        attained.source_relation,
        users.full_name,
        users.role,
        users.team,
        users.segment,
        users.region,
        users.manager_id,
        attained.quota_amount,
        attained.bookings_arr,
        attained.new_business_arr,
        attained.won_opportunities,
        attained.closed_opportunities,
        attained.pipeline_created_opportunities,
        attained.pipeline_created_arr,
        prior_bookings.prior_period_start,
        prior_bookings.prior_period_end,
        prior_bookings.prior_period_quota_amount,
        prior_bookings.prior_period_bookings_arr_to_date,
        users.annual_ote,
        period_month_parts.whole_months,
        period_month_parts.remaining_days,
        period_month_parts.partial_month_days,
        users.ramp_months,
        users.hired_on,
        users.ramp_end_on,
        users.left_on,
        {{ period_elapsed('attained.period_start', 'attained.period_end') }}
    from attained
    left join users
        on attained.user_id = users.user_id
    inner join period_month_parts
        on {{ same_keys('attained', 'period_month_parts', ['user_id', 'period_start']) }}
    left join prior_bookings
        on {{ same_keys('attained', 'prior_bookings', ['user_id', 'period_start']) }}
),

final as (
    select
        user_id,
        period_start,
        period_end,
        source_relation,
        full_name,
        role,
        team,
        segment,
        region,
        manager_id,
        {{ fiscal_year('period_end') }} as fiscal_year,
        {{ fiscal_quarter('period_end') }} as fiscal_quarter,
        cast(quota_amount as {{ type_money() }}) as quota_amount,
        cast(bookings_arr as {{ type_money() }}) as bookings_arr,
        cast(new_business_arr as {{ type_money() }}) as new_business_arr,
        cast(won_opportunities as {{ dbt.type_bigint() }}) as won_opportunities,
        cast(closed_opportunities as {{ dbt.type_bigint() }}) as closed_opportunities,
        {{ ratio('bookings_arr', 'quota_amount') }} as attainment,
        prior_period_start,
        prior_period_end,
        cast(prior_period_quota_amount as {{ type_money() }}) as prior_period_quota_amount,
        cast(prior_period_bookings_arr_to_date as {{ type_money() }}) as prior_period_bookings_arr_to_date,
        {{ ratio('prior_period_bookings_arr_to_date', 'prior_period_quota_amount') }} as prior_period_attainment_to_date,
        {{ ratio('won_opportunities', 'closed_opportunities') }} as win_rate,
        {{ money_divide('bookings_arr', 'won_opportunities') }} as avg_deal_size,
        cast(pipeline_created_opportunities as {{ dbt.type_bigint() }}) as pipeline_created_opportunities,
        cast(pipeline_created_arr as {{ type_money() }}) as pipeline_created_arr,
        cast(annual_ote as {{ type_money() }}) as annual_ote,
        cast(
            (whole_months * partial_month_days + remaining_days) * 1.0 / partial_month_days
            as decimal(12, 6)
        ) as months_in_period,
        {{ money_divide('annual_ote * (whole_months * partial_month_days + remaining_days)', '12 * partial_month_days') }} as period_ote,
        case
            when hired_on is null then null
            when period_start <= hired_on then 0
            else {{ completed_months('hired_on', 'period_start') }}
        end as tenure_months,
        ramp_months,
        days_in_period,
        days_elapsed,
        pct_period_elapsed,
        quota_amount > 0 and bookings_arr >= quota_amount as is_at_quota,
        period_start < ramp_end_on as is_ramping,
        coalesce(left_on >= period_start and left_on <= period_end, false) as has_left_in_period,
        hired_on <= period_end and (left_on is null or left_on >= period_start) as was_employed_in_period,
        {{ fiscal_year('period_start') }} <> {{ fiscal_year('period_end') }} as spans_fiscal_year,
        {{ period_start('quarter', 'period_start') }} <> {{ period_start('quarter', 'period_end') }} as spans_fiscal_quarter,
        period_end <= {{ as_of_date() }} as is_complete,
        hired_on,
        ramp_end_on,
        left_on
    from joined
)

select * from final
