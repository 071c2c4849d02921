{#-
    One row per month, CRM connection (source_relation) and lead source;
    each connection is diagnosed on its own leads and SDRs.
    - The month's figures: leads created, with their SQLs inside
      var funnel_diagnosis_sql_window_days; SQLs, with their wins inside
      var funnel_diagnosis_won_window_days and their days to SQL; active
      SDRs (int_active_sdrs_by_period).
    - Rows are dense (every month from the first lead event to the as-of
      date, every lead source seen), so the trailing windows and their
      baselines (var funnel_diagnosis_window_months, lagged by
      var funnel_diagnosis_baseline_lag_months) are window sums over rows.
    - Window and baseline figures are summed per month over every source
      (window_*, baseline_*) and per source (source_window_*), compared, and
      the month's diagnosis is the rule of the doc block funnel_diagnosis.
    What each column means: the doc blocks of its yml.
-#}
{%- set window_months = var('funnel_diagnosis_window_months', 6) | int -%}
{%- set lag_months = var('funnel_diagnosis_baseline_lag_months', 12) | int -%}
{%- set sql_window_days = var('funnel_diagnosis_sql_window_days', 30) | int -%}
{%- set won_window_days = var('funnel_diagnosis_won_window_days', 180) | int -%}
{%- set conversion_drop = var('funnel_diagnosis_conversion_drop', 0.1) -%}
{%- set min_z = var('funnel_diagnosis_min_z', 1.645) -%}
{%- set volume_rise = var('funnel_diagnosis_volume_rise', 0.2) -%}
{%- set time_rise = var('funnel_diagnosis_time_rise', 0.2) -%}
{%- set steady_tolerance = var('funnel_diagnosis_steady_tolerance', 0.2) -%}
{%- set min_leads = var('funnel_diagnosis_min_leads', 100) -%}
{%- set min_source_leads = var('funnel_diagnosis_min_source_leads', 30) -%}
{%- set trailing = "rows between " ~ (window_months - 1) ~ " preceding and current row" -%}
{#- The figures summed over the trailing window (window_*) and lagged to the baseline (baseline_*), by what they sum. -#}
{%- set month_sums = {"leads": "month_leads_created", "cohort_sqls": "month_cohort_sqls_in_window", "sqls": "month_sqls",
                      "days_to_sql_total": "month_days_to_sql_total", "sdr_months": "active_sdrs"} -%}
{%- set source_sums = {"leads": "leads_created", "cohort_sqls": "cohort_sqls_in_window"} -%}
{#- The rates of both windows: name -> (numerator, denominator), as window_/baseline_<name>. -#}
{%- set window_rates = {"lead_to_sql_rate": ("cohort_sqls", "leads"), "leads_per_sdr": ("leads", "sdr_months"),
                        "sqls_per_sdr": ("sqls", "sdr_months"), "avg_days_to_sql": ("days_to_sql_total", "sqls")} -%}
{%- set by_source = "partition by source_relation, lead_source order by month_start" -%}
{%- set by_month = "partition by source_relation order by month_start" -%}
{%- set source_window_sums, source_baseline_lags = [], [] -%}
{%- for name, column in source_sums.items() -%}
    {%- do source_window_sums.append("sum(" ~ column ~ ") over (" ~ by_source ~ " " ~ trailing ~ ") as source_window_" ~ name) -%}
    {%- do source_baseline_lags.append("lag(source_window_" ~ name ~ ", " ~ lag_months ~ ") over (" ~ by_source ~ ") as source_baseline_" ~ name) -%}
{%- endfor -%}
{%- set window_sums, baseline_lags = [], ["lag(window_months, " ~ lag_months ~ ") over (" ~ by_month ~ ") as baseline_window_months"] -%}
{%- for name, column in month_sums.items() -%}
    {%- do window_sums.append("sum(" ~ column ~ ") over (" ~ by_month ~ " " ~ trailing ~ ") as window_" ~ name) -%}
    {%- do baseline_lags.append("lag(window_" ~ name ~ ", " ~ lag_months ~ ") over (" ~ by_month ~ ") as baseline_" ~ name) -%}
{%- endfor -%}
{%- set rates, changes, published = [], [], [] -%}
{%- for side in ["window", "baseline"] -%}
    {%- for name in month_sums -%}
        {%- do published.append("cast(month_diagnosis." ~ side ~ "_" ~ name ~ " as " ~ dbt.type_bigint() ~ ") as " ~ side ~ "_" ~ name) -%}
    {%- endfor -%}
    {%- for name, terms in window_rates.items() -%}
        {%- do rates.append(ratio(side ~ "_" ~ terms[0], side ~ "_" ~ terms[1]) ~ " as " ~ side ~ "_" ~ name) -%}
        {%- do published.append("month_diagnosis." ~ side ~ "_" ~ name) -%}
    {%- endfor -%}
{%- endfor -%}
{%- for name, change in {"lead_to_sql_rate": "lead_to_sql_rate", "leads_per_sdr": "leads_per_sdr", "sqls_per_sdr": "sqls_per_sdr",
                          "avg_days_to_sql": "days_to_sql"}.items() -%}
    {%- do changes.append("window_" ~ name ~ " / nullif(baseline_" ~ name ~ ", 0) - 1 as " ~ change ~ "_change") -%}
{%- endfor -%}
with leads as (select * from {{ ref('fct_leads') }}),

months as (
    select * from {{ ref('dim_periods') }}
    where
        period_grain = 'month'
        and period_start <= {{ as_of_date() }}
),

active_sdrs as (
    select * from {{ ref('int_active_sdrs_by_period') }}
    where period_grain = 'month'
),

created_monthly as (
    select
        {{ period_start('month', 'created_on') }} as month_start,
        source_relation,
        lead_source,
        count(*) as leads_created,
        sum(case when days_to_sql <= {{ sql_window_days }} then 1 else 0 end) as cohort_sqls_in_window
    from leads
    group by
        {{ period_start('month', 'created_on') }},
        source_relation,
        lead_source
),

sql_leads as (
    select
        {{ period_start('month', 'sql_on') }} as month_start,
        source_relation,
        lead_source,
        days_to_sql,
        case
            when is_won and {{ dbt.datediff('sql_on', 'won_on', 'day') }} <= {{ won_window_days }} then 1 else 0
        end as is_won_in_window
    from leads
    where sql_on is not null
),

sql_monthly as (
    select
        month_start,
        source_relation,
        lead_source,
        count(*) as sqls,
        sum(is_won_in_window) as sqls_won_in_window,
        sum(days_to_sql) as days_to_sql_total,
        {{ median('days_to_sql') }} as median_days_to_sql
    from sql_leads
    group by
        month_start,
        source_relation,
        lead_source
),

sql_monthly_all_sources as (
    select
        month_start,
        source_relation,
        {{ median('days_to_sql') }} as median_days_to_sql
    from sql_leads
    group by
        month_start,
        source_relation
),

lead_sources as (
    select
        source_relation,
        lead_source
    from created_monthly
    union
    select
        source_relation,
        lead_source
    from sql_monthly
),

first_month as (
    select min(month_start) as first_month_start
    from (
        select month_start from created_monthly
        union all
        select month_start from sql_monthly
    ) as event_months
),

-- Dense month x lead source rows: window sums and lags count rows as months.
source_months as (
    select
        months.period_start as month_start,
        months.period_end as month_end,
        months.is_complete,
        lead_sources.source_relation,
        lead_sources.lead_source,
        {{ coalesce_columns(['leads_created', 'cohort_sqls_in_window'], 'created_monthly') }},
        {{ coalesce_columns(['sqls', 'sqls_won_in_window', 'days_to_sql_total'], 'sql_monthly') }},
        sql_monthly.median_days_to_sql,
        coalesce(active_sdrs.active_sdrs, 0) as active_sdrs,
        cast({{ dbt.dateadd('day', sql_window_days, 'months.period_end') }} as date) <= {{ as_of_date() }} as is_sql_window_complete,
        cast({{ dbt.dateadd('day', won_window_days, 'months.period_end') }} as date) <= {{ as_of_date() }} as is_won_window_complete
    from months
    inner join first_month
        on months.period_start >= first_month.first_month_start
    cross join lead_sources
    left join created_monthly
        on
            months.period_start = created_monthly.month_start
            and {{ same_keys('lead_sources', 'created_monthly', ['source_relation', 'lead_source']) }}
    left join sql_monthly
        on
            months.period_start = sql_monthly.month_start
            and {{ same_keys('lead_sources', 'sql_monthly', ['source_relation', 'lead_source']) }}
    left join active_sdrs
        on
            months.period_start = active_sdrs.period_start
            and {{ same_source_relation('lead_sources', 'active_sdrs') }}
),

source_windows as (
    select
        *,
        {{ source_window_sums | join(",\n        ") }}
    from source_months
),

source_baselines as (
    select
        *,
        {{ source_baseline_lags | join(",\n        ") }}
    from source_windows
),

source_changes as (
    select
        source_baselines.*,
        {{ two_proportion_z(
            'source_baselines.source_window_cohort_sqls', 'source_baselines.source_window_leads',
            'source_baselines.source_baseline_cohort_sqls', 'source_baselines.source_baseline_leads'
        ) }} as source_lead_to_sql_rate_z
    from source_baselines
),

month_totals as (
    select
        source_months.month_start,
        source_months.source_relation,
        sum(source_months.leads_created) as month_leads_created,
        sum(source_months.cohort_sqls_in_window) as month_cohort_sqls_in_window,
        sum(source_months.sqls) as month_sqls,
        sum(source_months.days_to_sql_total) as month_days_to_sql_total,
        max(source_months.active_sdrs) as active_sdrs,
        max(sql_monthly_all_sources.median_days_to_sql) as month_median_days_to_sql,
        min(case when source_months.is_sql_window_complete then 1 else 0 end) = 1 as is_sql_window_complete
    from source_months
    left join sql_monthly_all_sources
        on
            source_months.month_start = sql_monthly_all_sources.month_start
            and {{ same_source_relation('source_months', 'sql_monthly_all_sources') }}
    group by
        source_months.month_start,
        source_months.source_relation
),

month_windows as (
    select
        *,
        count(*) over ({{ by_month }} {{ trailing }}) as window_months,
        {{ window_sums | join(",\n        ") }}
    from month_totals
),

month_baselines as (
    select
        *,
        {{ baseline_lags | join(",\n        ") }}
    from month_windows
),

month_rates as (
    select
        *,
        {{ rates | join(",\n        ") }}
    from month_baselines
),

month_changes as (
    select
        *,
        {{ changes | join(",\n        ") }},
        {{ two_proportion_z('window_cohort_sqls', 'window_leads', 'baseline_cohort_sqls', 'baseline_leads') }} as lead_to_sql_rate_z
    from month_rates
),

-- The rule (doc block funnel_diagnosis): conversion falling, with SDRs
-- overloaded (more leads each, slower to qualify) = SDR capacity; conversion
-- falling while SDRs keep their pace = lead quality.
month_diagnosis as (
    select
        month_changes.*,
        case
            when
                not month_changes.is_sql_window_complete
                or month_changes.window_months < {{ window_months }}
                or coalesce(month_changes.baseline_window_months, 0) < {{ window_months }}
                or month_changes.window_leads < {{ min_leads }}
                or month_changes.baseline_leads < {{ min_leads }}
                or month_changes.lead_to_sql_rate_change is null
                or month_changes.leads_per_sdr_change is null
                or month_changes.sqls_per_sdr_change is null
                or month_changes.days_to_sql_change is null
                or month_changes.lead_to_sql_rate_z is null
                then 'insufficient_data'
            when
                month_changes.lead_to_sql_rate_change > -{{ conversion_drop }}
                or month_changes.lead_to_sql_rate_z > -{{ min_z }}
                then 'healthy'
            when month_changes.leads_per_sdr_change >= {{ volume_rise }} and month_changes.days_to_sql_change >= {{ time_rise }} then 'sdr_capacity'
            when
                month_changes.days_to_sql_change < {{ time_rise }}
                and (month_changes.sqls_per_sdr_change > -{{ steady_tolerance }} or month_changes.leads_per_sdr_change < {{ volume_rise }})
                then 'lead_quality'
            else 'unclear'
        end as diagnosis
    from month_changes
),

final as (
    select
        source_changes.month_start,
        source_changes.month_end,
        source_changes.source_relation,
        source_changes.lead_source,
        month_diagnosis.diagnosis,
        cast(source_changes.leads_created as {{ dbt.type_bigint() }}) as leads_created,
        cast(source_changes.active_sdrs as {{ dbt.type_bigint() }}) as active_sdrs,
        {{ ratio('source_changes.leads_created', 'source_changes.active_sdrs') }} as leads_per_sdr,
        cast(source_changes.sqls as {{ dbt.type_bigint() }}) as sqls,
        {{ ratio('source_changes.sqls', 'source_changes.active_sdrs') }} as sqls_per_sdr,
        cast(source_changes.cohort_sqls_in_window as {{ dbt.type_bigint() }}) as cohort_sqls_in_window,
        {{ ratio('source_changes.cohort_sqls_in_window', 'source_changes.leads_created') }} as lead_to_sql_rate,
        cast(source_changes.sqls_won_in_window as {{ dbt.type_bigint() }}) as sqls_won_in_window,
        {{ ratio('source_changes.sqls_won_in_window', 'source_changes.sqls') }} as sql_to_won_rate,
        cast(source_changes.days_to_sql_total as {{ dbt.type_bigint() }}) as days_to_sql_total,
        {{ ratio('source_changes.days_to_sql_total', 'source_changes.sqls') }} as avg_days_to_sql,
        cast(source_changes.median_days_to_sql as {{ type_double() }}) as median_days_to_sql,
        cast(source_changes.source_window_leads as {{ dbt.type_bigint() }}) as source_window_leads,
        cast(source_changes.source_window_cohort_sqls as {{ dbt.type_bigint() }}) as source_window_cohort_sqls,
        {{ ratio('source_changes.source_window_cohort_sqls', 'source_changes.source_window_leads') }} as source_window_lead_to_sql_rate,
        cast(source_changes.source_baseline_leads as {{ dbt.type_bigint() }}) as source_baseline_leads,
        cast(source_changes.source_baseline_cohort_sqls as {{ dbt.type_bigint() }}) as source_baseline_cohort_sqls,
        {{ ratio('source_changes.source_baseline_cohort_sqls', 'source_changes.source_baseline_leads') }} as source_baseline_lead_to_sql_rate,
        {{ ratio('source_changes.source_window_leads', 'month_diagnosis.window_leads') }} as source_window_lead_share,
        {{ ratio('source_changes.source_baseline_leads', 'month_diagnosis.baseline_leads') }} as source_baseline_lead_share,
        cast(month_diagnosis.month_leads_created as {{ dbt.type_bigint() }}) as month_leads_created,
        cast(month_diagnosis.month_sqls as {{ dbt.type_bigint() }}) as month_sqls,
        cast(month_diagnosis.month_median_days_to_sql as {{ type_double() }}) as month_median_days_to_sql,
        cast(month_diagnosis.window_months as {{ dbt.type_int() }}) as window_months,
        {{ published | join(",\n        ") }},
        month_diagnosis.lead_to_sql_rate_change,
        month_diagnosis.leads_per_sdr_change,
        month_diagnosis.sqls_per_sdr_change,
        month_diagnosis.days_to_sql_change,
        month_diagnosis.lead_to_sql_rate_z,
        source_changes.source_lead_to_sql_rate_z,
        coalesce(
            source_changes.source_window_leads >= {{ min_source_leads }}
            and source_changes.source_baseline_leads >= {{ min_source_leads }}
            and source_changes.source_window_cohort_sqls * source_changes.source_baseline_leads
            <= (1 - {{ conversion_drop }}) * source_changes.source_baseline_cohort_sqls * source_changes.source_window_leads
            and source_changes.source_lead_to_sql_rate_z <= -{{ min_z }},
            false
        ) as is_source_conversion_falling,
        source_changes.is_sql_window_complete,
        source_changes.is_won_window_complete,
        source_changes.is_complete
    from source_changes
    inner join month_diagnosis
        on
            source_changes.month_start = month_diagnosis.month_start
            and {{ same_source_relation('source_changes', 'month_diagnosis') }}
)

select * from final
