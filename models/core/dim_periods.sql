{#-
    One row per reporting period: period_grain (week, month, fiscal quarter,
    fiscal year) x period_start, with its end, fiscal labels and how much of it
    has elapsed at the as-of date. Every periodic KPI mart joins here.
-#}
with dates as (select * from {{ ref('dim_dates') }}),

starts as (
    {% for grain, column in [("week", "week_start"), ("month", "month_start"), ("quarter", "fiscal_quarter_start"), ("year", "fiscal_year_start")] -%}
        select distinct
            '{{ grain }}' as period_grain,
            {{ column }} as period_start
        from dates
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

periods as (
    select
        period_grain,
        period_start,
        case period_grain
            {% for grain in period_grains() -%}
                when '{{ grain }}' then {{ period_end(grain, 'period_start') }}
            {% endfor -%}
        end as period_end
    from starts
),

final as (
    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        {{ fiscal_year('periods.period_end') }} as fiscal_year,
        case when periods.period_grain = 'quarter' then {{ fiscal_quarter('periods.period_start') }} end as fiscal_quarter,
        {{ period_elapsed('periods.period_start', 'periods.period_end') }},
        periods.period_end <= {{ as_of_date() }} as is_complete,
        periods.period_start <= {{ as_of_date() }} and {{ as_of_date() }} <= periods.period_end as is_current
    from periods
)

select * from final
