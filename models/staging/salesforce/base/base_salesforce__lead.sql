{#- Leads, current versions (deleted ones kept, flagged). -#}
with source as (
    {{ adapter_select('salesforce', 'lead', [
        ['lead_id', 'id', 'key'],
        ['owner_id', 'owner_id', 'key'],
        ['converted_account_id', 'converted_account_id', 'key'],
        ['converted_opportunity_id', 'converted_opportunity_id', 'key'],
        ['lead_source', 'lead_source', 'text'],
        ['campaign', adapter_field('salesforce', 'lead', 'campaign'), 'text'],
        ['status', 'status', 'text'],
        ['created_at', 'created_date', 'timestamp'],
        ['mql_at', adapter_field('salesforce', 'lead', 'mql_at'), 'timestamp'],
        ['sql_at', adapter_field('salesforce', 'lead', 'sql_at'), 'timestamp'],
        ['disqualified_at', adapter_field('salesforce', 'lead', 'disqualified_at'), 'timestamp'],
        ['converted_on', 'converted_date', 'date'],
        ['is_converted', 'is_converted', 'boolean'],
    ] + fivetran_history_columns()) }}
),

current_versions as (
    select
        lead_id,
        owner_id,
        converted_account_id,
        converted_opportunity_id,
        lead_source,
        campaign,
        status,
        created_at,
        mql_at,
        sql_at,
        disqualified_at,
        converted_on,
        coalesce(is_converted, converted_on is not null) as is_converted,
        coalesce(is_deleted, false) as is_deleted,
        source_relation
    from source
    where
        {{ fivetran_is_current() }}
)

select * from current_versions
