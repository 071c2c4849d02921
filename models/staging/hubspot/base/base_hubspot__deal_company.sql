{#- Deal-company associations (type_id 5 = the deal's primary company). -#}
with source as (
    {{ adapter_select('hubspot', 'deal_company', [
        ['deal_id', 'deal_id', 'key'],
        ['company_id', 'company_id', 'key'],
        ['association_type_id', 'type_id', 'integer'],
        ['_fivetran_deleted', '_fivetran_deleted', 'boolean'],
    ]) }}
)

select
    deal_id,
    company_id,
    association_type_id,
    source_relation
from source
where not coalesce(_fivetran_deleted, false)
