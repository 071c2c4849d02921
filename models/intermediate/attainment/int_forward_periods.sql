{#-
    The periods of the forward view (kpi_forecast_categories,
    kpi_pipeline_coverage): the fiscal quarter containing the as-of date, the
    next fiscal quarter and the fiscal year containing the as-of date, each
    with the previous period of its grain and the date that period is seen
    at for the prior figures: as many days into it as the as-of date is into
    this one (negative before it starts), at most its last day.
-#}
{%- set this_quarter = period_start('quarter', as_of_date()) %}
{%- set this_year = period_start('year', as_of_date()) %}

with starts as (
    select
        'this_quarter' as period_name,
        'quarter' as period_grain,
        {{ this_quarter }} as period_start,
        3 as period_months
    union all
    select
        'next_quarter' as period_name,
        'quarter' as period_grain,
        cast({{ dbt.dateadd('month', 3, this_quarter) }} as date) as period_start,
        3 as period_months
    union all
    select
        'this_year' as period_name,
        'year' as period_grain,
        {{ this_year }} as period_start,
        12 as period_months
),

bounded as (
    select
        period_name,
        period_grain,
        period_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 'period_months', 'period_start')) }} as date) as period_end,
        cast({{ dbt.dateadd('month', '-1 * period_months', 'period_start') }} as date) as prior_period_start,
        cast({{ dbt.dateadd('day', -1, 'period_start') }} as date) as prior_period_end,
        {{ dbt.datediff('period_start', as_of_date(), 'day') }} as days_into_period
    from starts
),

final as (
    select
        period_name,
        period_grain,
        period_start,
        period_end,
        {{ fiscal_year('period_start') }} as fiscal_year,
        case when period_grain = 'quarter' then {{ fiscal_quarter('period_start') }} end as fiscal_quarter,
        {{ as_of_date() }} as as_of_date,
        days_into_period,
        prior_period_start,
        prior_period_end,
        least(
            cast({{ dbt.dateadd('day', 'days_into_period', 'prior_period_start') }} as date),
            prior_period_end
        ) as prior_as_of_date
    from bounded
)

select * from final
