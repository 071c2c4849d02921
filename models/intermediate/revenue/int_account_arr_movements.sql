{#-
    One row per account and month end where the account has ARR or had ARR
    at the previous month end: exactly one movement type (new, reactivation,
    expansion, contraction, churn, no_change) and its amounts.

    Incremental like int_account_product_arr_monthly (docs/decisions/
    0006-incremental.md): a run within var incremental_max_gap_days of the
    stored as-of date recomputes the month ends from the month of the
    look-back start on, for every account, from int_account_arr_monthly
    (whose own recomputed months they are); earlier months are kept, their
    segment brought up to date by a post-hook.
-#}
{{ config(**month_keyed_incremental_config()) }}
-- depends_on: {{ ref('dim_accounts') }}
{%- set lookback_start = incremental_lookback_start() %}
{{ classify_arr_movements(
    ref('int_account_arr_monthly'),
    ['account_id', 'source_relation'],
    bounds=none if lookback_start is none else incremental_month_bounds(lookback_start),
    with_watermark=true,
) }}
