{#-
    Record-level anomalies in the raw data, one row per record and problem,
    with the rule that was applied to it: the record-level rules of the raw
    contract's catalogue, and the warnings the build treats in its own way
    (record_issues); and the targets whose period is not a calendar month,
    fiscal quarter or fiscal year of the project's fiscal calendar (var
    fiscal_year_start_month), which get no QTD or YTD view and no forecast.
    The build goes on (a warning); the rows stay visible here instead of
    being dropped or double-counted silently. Structural problems never
    reach this table: they stop the build.
-#}
with issues as (
    {{ record_issues({
        "users": ref("stg_crm__users"),
        "accounts": ref("stg_crm__accounts"),
        "leads": ref("stg_crm__leads"),
        "opportunities": ref("stg_crm__opportunities"),
        "opportunity_stage_history": ref("stg_crm__opportunity_stage_history"),
        "subscriptions": ref("stg_crm__subscriptions"),
        "quotas": ref("stg_crm__quotas"),
        "targets": ref("stg_crm__targets"),
        "products": ref("stg_crm__products"),
        "activities": ref("stg_crm__activities"),
        "opportunity_history": ref("stg_crm__opportunity_history"),
        "stages": ref("stg_crm__stages"),
    }, ref("stg_crm__deleted_records")) }}
),

targets as (select * from {{ ref('stg_crm__targets') }}),

fiscal_periods as (
    select * from {{ ref('dim_periods') }}
    where period_grain in ('month', 'quarter', 'year')
),

-- A target set on other dates (calendar quarters under a fiscal year that
-- starts in another month, a half-year, a campaign) is measured over its own
-- dates in kpi_org_attainment (target_period_grain custom).
off_calendar_targets as (
    select
        'targets' as table_name,
        {{ contract_record_key('targets', 'targets') }} as record_key,
        'period_start' as column_name,
        'target_not_fiscal_period' as problem_type,
        'target ' || targets.metric || ' over ' || cast(targets.period_start as {{ dbt.type_string() }})
        || ' .. ' || cast(targets.period_end as {{ dbt.type_string() }})
        || ' is not a month, fiscal quarter or fiscal year (fiscal years start in month {{ fiscal_year_start_month() }})' as problem,
        'measured over its own dates (target_period_grain custom); no QTD or YTD view, no forecast in kpi_forecast' as rule_applied
    from targets
    left join fiscal_periods
        on {{ same_keys('targets', 'fiscal_periods', ['period_start', 'period_end']) }}
    where fiscal_periods.period_grain is null
),

final as (
    select * from issues
    union all
    select * from off_calendar_targets
)

select * from final
