{#- Accounts: current versions, not deleted. -#}
with source as (
    {{ adapter_select('salesforce', 'account', [
        ['account_id', 'id', 'key'],
        ['owner_id', 'owner_id', 'key'],
        ['account_name', 'name', 'text'],
        ['industry', 'industry', 'text'],
        ['segment', adapter_field('salesforce', 'account', 'segment'), 'text'],
        ['region', adapter_field('salesforce', 'account', 'region'), 'text'],
        ['created_at', 'created_date', 'timestamp'],
    ] + fivetran_history_columns()) }}
),

current_accounts as (
    select
        account_id,
        owner_id,
        account_name,
        industry,
        segment,
        region,
        created_at,
        source_relation
    from source
    where
        {{ fivetran_is_current() }}
        and not coalesce(is_deleted, false)
)

select * from current_accounts
