{#-
    Dated exchange rates (multi-currency orgs), current versions.
    conversion_rate is Salesforce's: units of the currency per 1 unit of the
    corporate currency (an exact decimal: it is inverted downstream).
-#}
with source as (
    {{ adapter_select('salesforce', 'dated_conversion_rate', [
        ['conversion_rate_id', 'id', 'key'],
        ['currency', 'iso_code', 'text'],
        ['start_date', 'start_date', 'date'],
        ['next_start_date', 'next_start_date', 'date'],
        ['conversion_rate', 'conversion_rate', 'rate'],
    ] + fivetran_history_columns(soft_delete=false)) }}
),

current_rates as (
    select
        conversion_rate_id,
        upper(trim(currency)) as currency,
        start_date,
        next_start_date,
        conversion_rate,
        source_relation
    from source
    where
        {{ fivetran_is_current() }}
)

select * from current_rates
