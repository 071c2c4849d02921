{#-
    One row per period grain, period start, CRM connection (source_relation)
    and lead source. Each lead's events (created, MQL, SQL, converted) are
    first counted per day and lead source, then summed per grain, so the
    per-grain aggregation reads a few thousand rows, not every lead. Flow
    counts fall in the period of the event; cohort counts follow the leads
    created in the period up to the as-of date. Rows are dense (every period
    from the first lead event to the as-of date, every lead source seen in
    the connection), so a quiet period is a row of zeros and the previous
    month of a month row is always a row (lead velocity).
    What each column means: the doc blocks of its yml.
-#}
with leads as (select * from {{ ref('fct_leads') }}),

periods as (select * from {{ ref('dim_periods') }}),

active_sdrs as (select * from {{ ref('int_active_sdrs_by_period') }}),

-- One row per day and lead source for each kind of event, so the per-grain
-- aggregation reads a few thousand rows, not every lead.
created_daily as (
    select
        created_on as event_on,
        source_relation,
        lead_source,
        count(*) as leads_created,
        sum(case when is_mql then 1 else 0 end) as cohort_mqls,
        sum(case when is_sql then 1 else 0 end) as cohort_sqls,
        sum(case when is_converted then 1 else 0 end) as cohort_converted,
        0 as mqls,
        0 as sqls,
        0 as leads_converted
    from leads
    group by
        created_on,
        source_relation,
        lead_source
),

mqls_daily as (
    select
        mql_on as event_on,
        source_relation,
        lead_source,
        0 as leads_created,
        0 as cohort_mqls,
        0 as cohort_sqls,
        0 as cohort_converted,
        count(*) as mqls,
        0 as sqls,
        0 as leads_converted
    from leads
    where mql_on is not null
    group by
        mql_on,
        source_relation,
        lead_source
),

sqls_daily as (
    select
        sql_on as event_on,
        source_relation,
        lead_source,
        0 as leads_created,
        0 as cohort_mqls,
        0 as cohort_sqls,
        0 as cohort_converted,
        0 as mqls,
        count(*) as sqls,
        0 as leads_converted
    from leads
    where sql_on is not null
    group by
        sql_on,
        source_relation,
        lead_source
),

leads_converted_daily as (
    select
        converted_on as event_on,
        source_relation,
        lead_source,
        0 as leads_created,
        0 as cohort_mqls,
        0 as cohort_sqls,
        0 as cohort_converted,
        0 as mqls,
        0 as sqls,
        count(*) as leads_converted
    from leads
    where converted_on is not null
    group by
        converted_on,
        source_relation,
        lead_source
),

daily as (
    select * from created_daily
    union all
    select * from mqls_daily
    union all
    select * from sqls_daily
    union all
    select * from leads_converted_daily
),

by_period as (
    {{ union_by_period_grain('daily', 'event_on', ['source_relation', 'lead_source'], [
        'sum(leads_created) as leads_created',
        'sum(mqls) as mqls',
        'sum(sqls) as sqls',
        'sum(leads_converted) as leads_converted',
        'sum(cohort_mqls) as cohort_mqls',
        'sum(cohort_sqls) as cohort_sqls',
        'sum(cohort_converted) as cohort_converted',
    ]) }}
),

lead_sources as (
    select distinct
        source_relation,
        lead_source
    from daily
),

first_event as (
    select min(event_on) as first_event_on from daily
),

-- Every period from the one holding the first lead event to the as-of date.
reported_periods as (
    select periods.*
    from periods
    inner join first_event
        on periods.period_end >= first_event.first_event_on
    where periods.period_start <= {{ as_of_date() }}
),

dense as (
    select
        reported_periods.period_grain,
        reported_periods.period_start,
        reported_periods.period_end,
        reported_periods.is_complete,
        lead_sources.source_relation,
        lead_sources.lead_source,
        coalesce(by_period.leads_created, 0) as leads_created,
        coalesce(by_period.mqls, 0) as mqls,
        coalesce(by_period.sqls, 0) as sqls,
        coalesce(by_period.leads_converted, 0) as leads_converted,
        coalesce(by_period.cohort_mqls, 0) as cohort_mqls,
        coalesce(by_period.cohort_sqls, 0) as cohort_sqls,
        coalesce(by_period.cohort_converted, 0) as cohort_converted,
        coalesce(active_sdrs.active_sdrs, 0) as active_sdrs
    from reported_periods
    cross join lead_sources
    left join by_period
        on
            reported_periods.period_grain = by_period.period_grain
            and reported_periods.period_start = by_period.period_start
            and {{ same_source_relation('lead_sources', 'by_period') }}
            and lead_sources.lead_source = by_period.lead_source
    left join active_sdrs
        on
            reported_periods.period_grain = active_sdrs.period_grain
            and reported_periods.period_start = active_sdrs.period_start
            and {{ same_source_relation('lead_sources', 'active_sdrs') }}
),

with_previous_month as (
    select
        dense.*,
        previous_month.sqls as previous_month_sqls,
        dense.sqls - previous_month.sqls as sqls_change
    from dense
    left join dense as previous_month
        on
            dense.period_grain = 'month'
            and previous_month.period_grain = 'month'
            and {{ same_source_relation('dense', 'previous_month') }}
            and dense.lead_source = previous_month.lead_source
            and previous_month.period_start = cast({{ dbt.dateadd('month', -1, 'dense.period_start') }} as date)
),

final as (
    select
        period_grain,
        period_start,
        period_end,
        source_relation,
        lead_source,
        cast(leads_created as {{ dbt.type_bigint() }}) as leads_created,
        cast(mqls as {{ dbt.type_bigint() }}) as mqls,
        cast(sqls as {{ dbt.type_bigint() }}) as sqls,
        cast(leads_converted as {{ dbt.type_bigint() }}) as leads_converted,
        cast(cohort_mqls as {{ dbt.type_bigint() }}) as cohort_mqls,
        cast(cohort_sqls as {{ dbt.type_bigint() }}) as cohort_sqls,
        cast(cohort_converted as {{ dbt.type_bigint() }}) as cohort_converted,
        {{ ratio('cohort_sqls', 'leads_created') }} as lead_to_sql_rate,
        cast(active_sdrs as {{ dbt.type_bigint() }}) as active_sdrs,
        {{ ratio('sqls', 'active_sdrs') }} as sqls_per_sdr,
        cast(previous_month_sqls as {{ dbt.type_bigint() }}) as previous_month_sqls,
        cast(sqls_change as {{ dbt.type_bigint() }}) as sqls_change,
        {{ ratio('sqls_change', 'previous_month_sqls') }} as lead_velocity_rate,
        is_complete
    from with_previous_month
)

select * from final
