{#-
    Contract `exchange_rates` for Salesforce: the canonical exchange_rates
    table when the user provides one with rows, else DatedConversionRate.
    Salesforce's conversion_rate is units of a currency per 1 unit of the
    corporate currency, so 1 unit of the currency is 1 / conversion_rate
    corporate units: rate_to_reporting = conversion_rate(reporting) /
    conversion_rate(currency), both the rate in force on the date (the
    reporting currency's rate is 1 when it is the corporate currency, i.e.
    has no rows), rounded to the project's amount precision (type_amount) as
    the canonical staging does. A rate is written at every date either rate
    changes. With several Salesforce connections (crm_unions), each currency
    takes the rates of the first connection listed that has it.
-#}
with canonical_rates as (
    select
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(rate_date as date) as rate_date,
        cast(rate_to_reporting as {{ type_amount() }}) as rate_to_reporting,
        cast(null as {{ dbt.type_string() }}) as source_relation
    from {{ canonical_relation('exchange_rates') }} as raw_rates
),

rates as (
    select * from {{ ref('base_salesforce__dated_conversion_rate') }}
    where conversion_rate > 0
),

ranged as (
    select
        currency,
        start_date,
        lead(start_date) over (partition by source_relation, currency order by start_date) as end_date,
        conversion_rate,
        source_relation
    from rates
),

reporting_rates as (
    select * from ranged
    where currency = '{{ reporting_currency() }}'
),

currencies as (
    select distinct
        currency,
        source_relation
    from ranged
    where currency <> '{{ reporting_currency() }}'
),

change_dates as (
    select
        currency,
        start_date as rate_date,
        source_relation
    from ranged
    where currency <> '{{ reporting_currency() }}'
    union
    select
        currencies.currency,
        reporting_rates.start_date as rate_date,
        currencies.source_relation
    from currencies
    inner join reporting_rates
        on currencies.source_relation = reporting_rates.source_relation
),

converted as (
    select
        change_dates.currency,
        change_dates.rate_date,
        cast(
            coalesce(reporting_rates.conversion_rate, 1) / currency_rates.conversion_rate as {{ type_amount() }}
        ) as rate_to_reporting,
        change_dates.source_relation
    from change_dates
    inner join ranged as currency_rates
        on
            change_dates.currency = currency_rates.currency
            and change_dates.source_relation = currency_rates.source_relation
            and change_dates.rate_date >= currency_rates.start_date
            and (currency_rates.end_date is null or change_dates.rate_date < currency_rates.end_date)
    left join reporting_rates
        on
            change_dates.source_relation = reporting_rates.source_relation
            and change_dates.rate_date >= reporting_rates.start_date
            and (reporting_rates.end_date is null or change_dates.rate_date < reporting_rates.end_date)
),

ranked as (
    select
        currency,
        rate_date,
        rate_to_reporting,
        source_relation,
        {{ crm_connection_rank() }} as connection_rank,
        min({{ crm_connection_rank() }}) over (partition by currency) as first_connection_rank
    from converted
),

salesforce_rates as (
    select
        currency,
        rate_date,
        rate_to_reporting,
        source_relation
    from ranked
    where connection_rank = first_connection_rank
),

final as (
    select * from canonical_rates
    union all
    select * from salesforce_rates
    where not exists (select 1 from canonical_rates)
)

select * from final
