{#-
    Exchange rates as validity ranges: a rate applies from its rate_date up to
    (not including) the next rate_date of the same currency. The reporting
    currency converts at 1 from the beginning of time. Joined with
    fx_rate_join() to convert "at the latest rate on or before a date".
-#}
{#- A view: read once, by the fact table beside it. -#}
{{ config(materialized='view') }}
with rates as (
    select * from {{ ref('stg_crm__exchange_rates') }}
    where currency <> '{{ reporting_currency() }}'
),

ranged as (
    select
        currency,
        rate_to_reporting,
        rate_date as valid_from,
        lead(rate_date) over (partition by currency order by rate_date) as valid_until
    from rates
),

reporting_currency as (
    select
        '{{ reporting_currency() }}' as currency,
        cast(1 as {{ type_amount() }}) as rate_to_reporting,
        cast('1900-01-01' as date) as valid_from,
        cast(null as date) as valid_until
)

select * from ranged
union all
select * from reporting_currency
