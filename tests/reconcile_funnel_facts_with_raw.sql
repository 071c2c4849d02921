{#-
    Reconciliation, raw -> facts: every lead and every opportunity that exists
    at the as-of date appears exactly once in fct_leads / fct_opportunities,
    and nothing else does. "Exists" is read from the raw rows themselves: not
    deleted (a null flag is not deleted) and created on or before the as-of
    date (an opportunity closing before its creation counts from its close
    date: the documented record-level repair). Returns one row per key whose
    raw or fact count is not exactly 1.
-#}
with raw_leads as (
    select
        cast(lead_id as {{ dbt.type_string() }}) as record_key,
        count(*) as raw_rows
    from {{ raw_relation('leads') }}
    where
        {{ is_not_deleted() }}
        and cast(created_at as {{ dbt.type_timestamp() }}) < {{ as_of_cutoff() }}
    group by cast(lead_id as {{ dbt.type_string() }})
),

raw_opportunities as (
    select
        cast(opportunity_id as {{ dbt.type_string() }}) as record_key,
        count(*) as raw_rows
    from {{ raw_relation('opportunities') }}
    where
        {{ is_not_deleted() }}
        and case
            when cast(cast(created_at as {{ dbt.type_timestamp() }}) as date) > cast(close_date as date)
                then cast(cast(close_date as date) as {{ dbt.type_timestamp() }})
            else cast(created_at as {{ dbt.type_timestamp() }})
        end < {{ as_of_cutoff() }}
    group by cast(opportunity_id as {{ dbt.type_string() }})
),

fact_leads as (
    select
        lead_id as record_key,
        count(*) as fact_rows
    from {{ ref('fct_leads') }}
    group by lead_id
),

fact_opportunities as (
    select
        opportunity_id as record_key,
        count(*) as fact_rows
    from {{ ref('fct_opportunities') }}
    group by opportunity_id
),

lead_check as (
    select
        'leads' as table_name,
        coalesce(raw_leads.record_key, fact_leads.record_key) as record_key,
        coalesce(raw_leads.raw_rows, 0) as raw_rows,
        coalesce(fact_leads.fact_rows, 0) as fact_rows
    from raw_leads
    full outer join fact_leads
        on raw_leads.record_key = fact_leads.record_key
),

opportunity_check as (
    select
        'opportunities' as table_name,
        coalesce(raw_opportunities.record_key, fact_opportunities.record_key) as record_key,
        coalesce(raw_opportunities.raw_rows, 0) as raw_rows,
        coalesce(fact_opportunities.fact_rows, 0) as fact_rows
    from raw_opportunities
    full outer join fact_opportunities
        on raw_opportunities.record_key = fact_opportunities.record_key
),

checks as (
    select * from lead_check
    union all
    select * from opportunity_check
)

select *
from checks
where raw_rows <> 1 or fact_rows <> 1
