{#-
    The raw-data contract (shared spec raw_contract.md) as a Jinja structure:
    table -> {required, columns: [[name, logical type], ...]}. The Python
    runner has the same contract in src/sales_kpis/contract.py; a pytest keeps
    the two equal.
-#}
{% macro raw_contract() %}
    {{ return({
        "users": {"required": true, "columns": [
            ["user_id", "text"], ["full_name", "text"], ["email", "text"], ["role", "text"],
            ["team", "text"], ["segment", "text"], ["region", "text"], ["manager_id", "text"],
            ["hired_on", "date"], ["left_on", "date"], ["annual_ote", "decimal"],
            ["ramp_months", "integer"]]},
        "accounts": {"required": true, "columns": [
            ["account_id", "text"], ["account_name", "text"], ["industry", "text"],
            ["segment", "text"], ["region", "text"], ["owner_id", "text"],
            ["created_at", "timestamp"]]},
        "leads": {"required": true, "columns": [
            ["lead_id", "text"], ["created_at", "timestamp"], ["lead_source", "text"],
            ["campaign", "text"], ["owner_id", "text"], ["mql_at", "timestamp"],
            ["sql_at", "timestamp"], ["disqualified_at", "timestamp"],
            ["converted_at", "timestamp"], ["converted_account_id", "text"],
            ["converted_opportunity_id", "text"], ["is_deleted", "boolean"]]},
        "opportunities": {"required": true, "columns": [
            ["opportunity_id", "text"], ["account_id", "text"], ["owner_id", "text"],
            ["sourced_by_id", "text"], ["lead_id", "text"], ["product_id", "text"],
            ["opportunity_type", "text"], ["stage_name", "text"], ["amount", "decimal"],
            ["currency", "text"], ["created_at", "timestamp"], ["close_date", "date"],
            ["updated_at", "timestamp"], ["is_deleted", "boolean"]]},
        "opportunity_stage_history": {"required": true, "columns": [
            ["opportunity_id", "text"], ["stage_name", "text"], ["entered_at", "timestamp"],
            ["amount", "decimal"]]},
        "subscriptions": {"required": true, "columns": [
            ["subscription_id", "text"], ["account_id", "text"], ["product_id", "text"],
            ["starts_on", "date"], ["ends_on", "date"], ["arr", "decimal"],
            ["currency", "text"]]},
        "quotas": {"required": true, "columns": [
            ["user_id", "text"], ["period_start", "date"], ["period_end", "date"],
            ["quota_amount", "decimal"]]},
        "targets": {"required": true, "columns": [
            ["period_start", "date"], ["period_end", "date"], ["metric", "text"],
            ["segment", "text"], ["product_id", "text"], ["target_value", "decimal"]]},
        "products": {"required": false, "columns": [
            ["product_id", "text"], ["product_name", "text"], ["product_family", "text"],
            ["launched_on", "date"]]},
        "exchange_rates": {"required": false, "columns": [
            ["currency", "text"], ["rate_date", "date"], ["rate_to_reporting", "decimal"]]},
        "activities": {"required": false, "columns": [
            ["activity_id", "text"], ["user_id", "text"], ["lead_id", "text"],
            ["opportunity_id", "text"], ["activity_type", "text"], ["occurred_at", "timestamp"]]},
        "stages": {"required": false, "columns": [
            ["stage_name", "text"], ["stage_number", "integer"], ["is_closed", "boolean"],
            ["is_won", "boolean"], ["forecast_probability", "decimal"]]}
    }) }}
{% endmacro %}
