{#-
    Structural check: every amount in a currency other than the reporting
    currency has a rate on or before the date it is converted at
    (date_expression, a SQL expression over the model's columns). Returns the
    rows without one, named by key_column.
-#}
{% test has_exchange_rate(model, column_name, date_expression, key_column) %}
    with amounts as (
        select
            {{ key_column }} as record_key,
            {{ column_name }} as currency,
            {{ date_expression }} as conversion_date
        from {{ model }}
        where {{ column_name }} <> '{{ reporting_currency() }}'
    ),

    rates as (
        select currency, min(rate_date) as first_rate_date
        from {{ ref('stg_crm__exchange_rates') }}
        group by currency
    )

    select
        amounts.record_key,
        amounts.currency,
        amounts.conversion_date,
        rates.first_rate_date
    from amounts
    left join rates
        on amounts.currency = rates.currency
    where rates.first_rate_date is null
        or rates.first_rate_date > amounts.conversion_date
{% endtest %}
