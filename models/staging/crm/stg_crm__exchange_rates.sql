with source as (
    -- aliased: an absent optional table is a subquery, which PostgreSQL wants named
    select * from {{ raw_relation('exchange_rates') }} as raw_rows
),

renamed as (
    select
        {{ normalise_currency('currency') }} as currency,
        cast(rate_to_reporting as {{ type_amount() }}) as rate_to_reporting,
        cast(rate_date as date) as rate_date,
        {{ staged_source_relation('exchange_rates') }} as source_relation
    from source
)

select * from renamed
