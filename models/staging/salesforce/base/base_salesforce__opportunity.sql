{#-
    Opportunities, current versions (deleted ones kept, flagged).
    Salesforce's probability is a percentage (0-100): probability_rate is
    it divided by 100.
-#}
with source as (
    {{ adapter_select('salesforce', 'opportunity', [
        ['opportunity_id', 'id', 'key'],
        ['account_id', 'account_id', 'key'],
        ['owner_id', 'owner_id', 'key'],
        ['sourced_by_id', adapter_field('salesforce', 'opportunity', 'sourced_by_id'), 'key'],
        ['lead_id', adapter_field('salesforce', 'opportunity', 'lead_id'), 'key'],
        ['opportunity_name', 'name', 'text'],
        ['opportunity_type', 'type', 'text'],
        ['stage_name', 'stage_name', 'text'],
        ['amount', 'amount', 'decimal'],
        ['currency', 'currency_iso_code', 'text'],
        ['probability', 'probability', 'decimal'],
        ['forecast_category', 'forecast_category_name', 'text'],
        ['is_closed', 'is_closed', 'boolean'],
        ['is_won', 'is_won', 'boolean'],
        ['created_at', 'created_date', 'timestamp'],
        ['close_date', 'close_date', 'date'],
        ['updated_at', ['last_modified_date', 'system_modstamp'], 'timestamp'],
    ] + fivetran_history_columns()) }}
),

current_versions as (
    select
        opportunity_id,
        account_id,
        owner_id,
        sourced_by_id,
        lead_id,
        opportunity_name,
        opportunity_type,
        stage_name,
        amount,
        currency,
        cast(probability / 100 as {{ type_amount() }}) as probability_rate,
        {{ adapter_forecast_category('forecast_category') }} as forecast_category,
        is_closed,
        is_won,
        created_at,
        close_date,
        updated_at,
        coalesce(is_deleted, false) as is_deleted,
        source_relation
    from source
    where
        {{ fivetran_is_current() }}
)

select * from current_versions
