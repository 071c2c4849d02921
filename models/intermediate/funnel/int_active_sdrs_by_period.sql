{#-
    SDR headcount per reporting period and CRM connection (source_relation): SDRs (role sdr) employed on any day of
    the period, i.e. hired on or before its last day and not left before its
    first day. Users hired after the as-of date do not exist yet (dim_users);
    one leaving after it is employed. Only periods that started by the as-of
    date; periods without any SDR have no row.
-#}
with users as (
    select * from {{ ref('dim_users') }}
    where role = 'sdr'
),

periods as (
    select * from {{ ref('dim_periods') }}
    where period_start <= {{ as_of_date() }}
),

active as (
    select
        periods.period_grain,
        periods.period_start,
        users.source_relation,
        cast(count(distinct users.user_id) as {{ dbt.type_bigint() }}) as active_sdrs
    from periods
    inner join users
        on
            periods.period_end >= users.hired_on
            and (users.left_on is null or periods.period_start <= users.left_on)
    group by
        periods.period_grain,
        periods.period_start,
        users.source_relation
)

select * from active
