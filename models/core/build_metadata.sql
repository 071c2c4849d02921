{#-
    One row describing the build: the as-of date every mart was computed at,
    the reporting currency and fiscal calendar, and when it ran. Exports and
    reports read it, so a file always says which as-of date it shows. A run
    that changes the warehouse and does not complete empties it (on-run-end,
    forget_incomplete_build). Texts enter the SQL as literals (sql_string);
    the settings were checked against their types at run start (check_vars).
-#}
with final as (
    select
        {{ as_of_date() }} as as_of_date,
        cast({{ sql_string(reporting_currency()) }} as {{ dbt.type_string() }}) as reporting_currency,
        {{ fiscal_year_start_month() }} as fiscal_year_start_month,
        cast({{ sql_string(var("bookings_opportunity_types") | join(",")) }} as {{ dbt.type_string() }}) as bookings_opportunity_types,
        cast({{ sql_string(invocation_id) }} as {{ dbt.type_string() }}) as invocation_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as built_at
    from (select 1 as one) as single_row
)

select * from final
