{#-
    HubSpot deal property history as contract `opportunity_history`: one row
    per deal and moment its closedate or amount was saved, with the value each
    took then (text_date reads ISO dates and epoch milliseconds); a property
    not saved at that moment is null (it kept its value). HubSpot keeps no
    forecast category history: forecast_category is null.
-#}
with property_history as (
    select * from {{ ref('base_hubspot__deal_property_history') }}
    where property_name in ('closedate', 'amount')
),

final as (
    select
        deal_id as opportunity_id,
        changed_at,
        max(case when property_name = 'closedate' then {{ text_date('property_value') }} end) as close_date,
        max(
            case when property_name = 'amount' then {{ try_cast("nullif(trim(property_value), '')", type_amount()) }} end
        ) as amount,
        cast(null as {{ dbt.type_string() }}) as forecast_category,
        source_relation
    from property_history
    group by
        deal_id,
        changed_at,
        source_relation
)

select * from final
