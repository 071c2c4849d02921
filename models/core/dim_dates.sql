{#-
    One row per day with its ISO week and fiscal attributes. Fiscal years start
    in var fiscal_year_start_month and are named after the calendar year they
    end in; fiscal quarters are 3-month blocks from the fiscal-year start.
-#}
with spine as (select * from {{ ref('int_date_spine') }}),

final as (
    select
        date_day,
        {{ period_start('week', 'date_day') }} as week_start,
        {{ period_start('month', 'date_day') }} as month_start,
        {{ period_start('quarter', 'date_day') }} as fiscal_quarter_start,
        {{ period_start('year', 'date_day') }} as fiscal_year_start,
        {{ period_end('month', period_start('month', 'date_day')) }} as month_end,
        {{ iso_year('date_day') }} as iso_year,
        {{ iso_week('date_day') }} as iso_week,
        cast({{ date_part('year', 'date_day') }} as {{ dbt.type_int() }}) as calendar_year,
        cast({{ date_part('month', 'date_day') }} as {{ dbt.type_int() }}) as calendar_month,
        {{ fiscal_year('date_day') }} as fiscal_year,
        {{ fiscal_quarter('date_day') }} as fiscal_quarter,
        date_day <= {{ as_of_date() }} as is_on_or_before_as_of
    from spine
)

select * from final
