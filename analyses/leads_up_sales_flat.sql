{#-
    "Leads are up but sales are not: is it lead quality or SDR capacity?"

    Answered from kpi_funnel_diagnosis at the latest month that can be judged
    (its leads have had the SQL window to qualify): the month-level verdict
    and its evidence (the trailing window against the same window a year
    earlier: lead volume, leads and SQLs per SDR, lead-to-SQL rate, days to
    SQL), new-business deals won over the same months, and, per lead source,
    its share of the leads, its own lead-to-SQL rate then and now and how much
    of the overall fall that accounts for, so the source behind a lead-quality
    verdict shows. Read the result with
    docs/guides/sales-questions.md ("Leads are up, sales are not").

    dbt compile --select leads_up_sales_flat, then run the compiled SQL.
-#}
{%- set window_months = var('funnel_diagnosis_window_months', 6) | int -%}
{%- set lag_months = var('funnel_diagnosis_baseline_lag_months', 12) | int -%}
with diagnosis as (
    select * from {{ ref('kpi_funnel_diagnosis') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

judged_month as (
    select max(month_start) as month_start
    from diagnosis
    where diagnosis <> 'insufficient_data'
),

-- New-business deals won (by close month) in the window and in its baseline.
won_deals as (
    select
        sum(case
            when opportunities.close_date >= cast({{ dbt.dateadd('month', 1 - window_months, 'judged_month.month_start') }} as date)
                and opportunities.close_date < cast({{ dbt.dateadd('month', 1, 'judged_month.month_start') }} as date)
                then 1 else 0
        end) as window_won_deals,
        sum(case
            when opportunities.close_date >= cast({{ dbt.dateadd('month', 1 - window_months - lag_months, 'judged_month.month_start') }} as date)
                and opportunities.close_date < cast({{ dbt.dateadd('month', 1 - lag_months, 'judged_month.month_start') }} as date)
                then 1 else 0
        end) as baseline_won_deals
    from opportunities
    cross join judged_month
    where
        opportunities.is_won
        and opportunities.opportunity_type = 'new_business'
),

answer as (
    select
        diagnosis.month_start,
        diagnosis.diagnosis,
        diagnosis.window_leads,
        diagnosis.baseline_leads,
        won_deals.window_won_deals,
        won_deals.baseline_won_deals,
        diagnosis.window_leads_per_sdr,
        diagnosis.baseline_leads_per_sdr,
        diagnosis.window_sqls_per_sdr,
        diagnosis.baseline_sqls_per_sdr,
        diagnosis.window_lead_to_sql_rate,
        diagnosis.baseline_lead_to_sql_rate,
        diagnosis.lead_to_sql_rate_z,
        diagnosis.window_avg_days_to_sql,
        diagnosis.baseline_avg_days_to_sql,
        diagnosis.lead_source,
        diagnosis.source_window_leads,
        diagnosis.source_baseline_leads,
        diagnosis.source_window_lead_share,
        diagnosis.source_baseline_lead_share,
        diagnosis.source_window_lead_to_sql_rate,
        diagnosis.source_baseline_lead_to_sql_rate,
        diagnosis.source_lead_to_sql_rate_z,
        diagnosis.is_source_conversion_falling,
        -- The source's share of the change in the overall rate that comes
        -- from its own rate changing (window leads x change / all window leads).
        cast(diagnosis.source_window_leads as {{ type_double() }})
        * (diagnosis.source_window_lead_to_sql_rate - diagnosis.source_baseline_lead_to_sql_rate)
        / nullif(diagnosis.window_leads, 0) as contribution_to_rate_change
    from diagnosis
    inner join judged_month
        on diagnosis.month_start = judged_month.month_start
    cross join won_deals
)

select * from answer
order by source_window_leads desc
