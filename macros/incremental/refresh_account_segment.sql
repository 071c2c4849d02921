{#-
    Post-hook of an incremental fact carrying the account segment (a
    dimension attribute that changes without a timestamp): on an incremental
    run, every row whose segment differs from the account's current one
    (dim_accounts; 'unknown' when the account is gone) is updated, so kept
    rows match a full rebuild. Nothing to do outside incremental runs.
-#}
{% macro refresh_account_segment(accounts, key_column="account_id", segment_column="segment") %}
    {%- if this is not none and is_incremental() -%}
        update {{ this }}
        set {{ segment_column }} = coalesce((
            select accounts.segment from {{ accounts }} as accounts
            where accounts.account_id = {{ this }}.{{ key_column }}
        ), 'unknown')
        where {{ segment_column }} is distinct from coalesce((
            select accounts.segment from {{ accounts }} as accounts
            where accounts.account_id = {{ this }}.{{ key_column }}
        ), 'unknown')
    {%- endif -%}
{% endmacro %}
