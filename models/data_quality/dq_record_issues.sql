{#-
    Record-level anomalies in the raw data, one row per record and problem,
    with the rule that was applied to it: the record-level rules of the raw
    contract's catalogue, and the warnings the build treats in its own way
    (record_issues). The build goes on (a warning); the
    rows stay visible here instead of being dropped or double-counted
    silently. Structural problems never reach this table: they stop the build.
-#}
with issues as (
    {{ record_issues({
        "users": ref("stg_crm__users"),
        "accounts": ref("stg_crm__accounts"),
        "leads": ref("stg_crm__leads"),
        "opportunities": ref("stg_crm__opportunities"),
        "opportunity_stage_history": ref("stg_crm__opportunity_stage_history"),
        "subscriptions": ref("stg_crm__subscriptions"),
        "quotas": ref("stg_crm__quotas"),
        "targets": ref("stg_crm__targets"),
        "products": ref("stg_crm__products"),
        "activities": ref("stg_crm__activities"),
        "opportunity_history": ref("stg_crm__opportunity_history"),
        "stages": ref("stg_crm__stages"),
    }, ref("stg_crm__deleted_records")) }}
)

select * from issues
