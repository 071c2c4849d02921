{#-
    Record-level anomalies in the raw data, one row per record and problem,
    with the rule that was applied to it. The build goes on (a warning); the
    rows stay visible here instead of being dropped or double-counted
    silently. Structural problems never reach this table: they stop the build.
-#}
with users as (
    select * from {{ ref('stg_crm__users') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

stage_history as (
    select * from {{ ref('stg_crm__opportunity_stage_history') }}
),

subscriptions as (
    select * from {{ ref('stg_crm__subscriptions') }}
),

quotas as (
    select * from {{ ref('stg_crm__quotas') }}
),

deleted_records as (
    select * from {{ ref('stg_crm__deleted_records') }}
),

issues as (
    {{ dq_orphans('users', 'users', 'user_id', 'manager_id', 'users', 'user_id', 'kept; the user has no manager in team roll-ups') }}
    union all
    {{ dq_orphans('accounts', 'accounts', 'account_id', 'owner_id', 'users', 'user_id', 'kept; owner unknown') }}
    union all
    {{ dq_orphans('leads', 'leads', 'lead_id', 'owner_id', 'users', 'user_id', 'kept; SDR unknown') }}
    union all
    {{ dq_orphans('leads', 'leads', 'lead_id', 'converted_opportunity_id', 'opportunities', 'opportunity_id', 'ignored; the opportunity is looked up by lead_id', 'opportunities') }}
    union all
    {{ dq_orphans('leads', 'leads', 'lead_id', 'converted_account_id', 'accounts', 'account_id', 'kept; account unknown') }}
    union all
    {{ dq_orphans('opportunities', 'opportunities', 'opportunity_id', 'account_id', 'accounts', 'account_id', "kept; segment 'unknown'") }}
    union all
    {{ dq_orphans('opportunities', 'opportunities', 'opportunity_id', 'owner_id', 'users', 'user_id', 'kept; counted for the company, for no rep') }}
    union all
    {{ dq_orphans('opportunities', 'opportunities', 'opportunity_id', 'sourced_by_id', 'users', 'user_id', 'kept; counted for no SDR') }}
    union all
    {{ dq_orphans('opportunities', 'opportunities', 'opportunity_id', 'lead_id', 'leads', 'lead_id', "kept; lead source 'none'", 'leads') }}
    union all
    {{ dq_orphans('subscriptions', 'subscriptions', 'subscription_id', 'account_id', 'accounts', 'account_id', "kept; segment 'unknown'") }}
    union all
    {{ dq_orphans('quotas', 'quotas', "user_id || '|' || cast(period_start as " ~ dbt.type_string() ~ ")", 'user_id', 'users', 'user_id', 'kept; rep attributes unknown') }}
    union all
    {{ dq_orphans('opportunity_stage_history', 'stage_history', "opportunity_id || '|' || stage_name || '|' || cast(entered_at as " ~ dbt.type_string() ~ ")", 'opportunity_id', 'opportunities', 'opportunity_id', 'dropped; the history of an unknown opportunity reaches no stage', 'opportunities') }}
    union all
    select
        'opportunities' as table_name,
        opportunity_id as record_key,
        'amount' as column_name,
        'negative amount: ' || cast(raw_amount as {{ dbt.type_string() }}) as problem,
        'amount set to 0' as rule_applied
    from opportunities
    where has_negative_amount
    union all
    select
        'opportunities' as table_name,
        opportunity_id as record_key,
        'close_date' as column_name,
        'close date ' || cast(close_date as {{ dbt.type_string() }}) || ' before creation ' || cast(raw_created_at as {{ dbt.type_string() }}) as problem,
        'created_at set to the close date (sales cycle 0 days)' as rule_applied
    from opportunities
    where is_closed_before_created
    union all
    select
        'subscriptions' as table_name,
        subscription_id as record_key,
        'arr' as column_name,
        'negative amount: ' || cast(raw_arr as {{ dbt.type_string() }}) as problem,
        'arr set to 0' as rule_applied
    from subscriptions
    where has_negative_amount
    union all
    select
        'quotas' as table_name,
        user_id || '|' || cast(period_start as {{ dbt.type_string() }}) as record_key,
        'quota_amount' as column_name,
        'negative amount: ' || cast(quota_amount as {{ dbt.type_string() }}) as problem,
        'kept; attainment is null for a quota that is not positive' as rule_applied
    from quotas
    where quota_amount < 0
)

select * from issues
