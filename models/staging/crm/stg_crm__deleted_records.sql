{#-
    Keys of the soft-deleted leads and opportunities. Deleted rows are
    ignored everywhere; this list lets the data-quality checks tell a
    reference to a deleted record (expected: ignored with it) from a reference
    to a record that never existed (an anomaly).
-#}
with leads as (
    select * from {{ raw_relation('leads') }}
    where not {{ is_not_deleted() }}
),

opportunities as (
    select * from {{ raw_relation('opportunities') }}
    where not {{ is_not_deleted() }}
),

deleted as (
    select
        'leads' as table_name,
        cast(lead_id as {{ dbt.type_string() }}) as record_id
    from leads
    union all
    select
        'opportunities' as table_name,
        cast(opportunity_id as {{ dbt.type_string() }}) as record_id
    from opportunities
)

select * from deleted
