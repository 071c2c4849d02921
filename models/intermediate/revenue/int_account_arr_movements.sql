{#-
    The account grain of classify_arr_movements over int_account_arr_monthly.

    Incremental like int_account_product_arr_monthly (docs/decisions/
    0006-incremental.md): a run within var incremental_max_gap_days of the
    stored as-of date recomputes the month ends from the month of the
    look-back start on, for every account, from int_account_arr_monthly
    (whose own recomputed months they are; it keeps every month, so each
    account's first ARR month is read from all of them); earlier months are
    kept, their segment brought up to date by a post-hook.
-#}
{{ config(**month_keyed_incremental_config()) }}
-- depends_on: {{ ref('dim_accounts') }}
{%- set lookback_start = incremental_lookback_start() %}

with {{ classify_arr_movements(
    ref('int_account_arr_monthly'),
    ['account_id', 'source_relation'],
    bounds=none if lookback_start is none else incremental_month_bounds(lookback_start),
    with_watermark=true,
) }}

final as (
    select * from arr_movements
)

select * from final
