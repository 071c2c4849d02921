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
{#- The flow events counted in the period they happen in: count column -> date column. -#}
{%- set flow_events = {'mqls': 'mql_on', 'sqls': 'sql_on', 'leads_converted': 'converted_on'} -%}
{%- set counts = ['leads_created', 'mqls', 'sqls', 'leads_converted', 'cohort_mqls', 'cohort_sqls', 'cohort_converted'] -%}
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
        sum(case when is_converted then 1 else 0 end) as cohort_converted
    from leads
    group by
        created_on,
        source_relation,
        lead_source
),

{% for count_column, date_column in flow_events.items() -%}
    {{ count_column }}_daily as (
        select
            {{ date_column }} as event_on,
            source_relation,
            lead_source,
            count(*) as {{ count_column }}
        from leads
        where {{ date_column }} is not null
        group by
            {{ date_column }},
            source_relation,
            lead_source
    ),

{% endfor -%}
daily as (
    {{ union_measures({
        'created_daily': ['leads_created', 'cohort_mqls', 'cohort_sqls', 'cohort_converted'],
        'mqls_daily': ['mqls'],
        'sqls_daily': ['sqls'],
        'leads_converted_daily': ['leads_converted'],
    }, ['event_on', 'source_relation', 'lead_source'], counts) }}
),

by_period as (
    {{ union_by_period_grain('daily', 'event_on', ['source_relation', 'lead_source'], sum_columns(counts)) }}
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
        {{ coalesce_columns(counts, 'by_period') }},
        coalesce(active_sdrs.active_sdrs, 0) as active_sdrs
    from reported_periods
    cross join lead_sources
    left join by_period
        on
            {{ same_keys('reported_periods', 'by_period', ['period_grain', 'period_start']) }}
            and {{ same_keys('lead_sources', 'by_period', ['source_relation', 'lead_source']) }}
    left join active_sdrs
        on
            {{ same_keys('reported_periods', 'active_sdrs', ['period_grain', 'period_start']) }}
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
            and {{ same_keys('dense', 'previous_month', ['source_relation', 'lead_source']) }}
            and previous_month.period_start = cast({{ dbt.dateadd('month', -1, 'dense.period_start') }} as date)
),

final as (
    select
        period_grain,
        period_start,
        period_end,
        source_relation,
        lead_source,
        {{ cast_columns(counts, dbt.type_bigint()) }},
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
