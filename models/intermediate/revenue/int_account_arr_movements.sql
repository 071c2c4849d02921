{#-
    One row per account and month end where the account has ARR or had ARR
    at the previous month end: exactly one movement type (new, reactivation,
    expansion, contraction, churn, no_change) and its amounts.
-#}
{{ classify_arr_movements(ref('int_account_arr_monthly'), ['account_id', 'source_relation']) }}
