{#-
    The same movement classification at account x product grain (a product
    swap is a churn of one product and a new or reactivated ARR of the other):
    what product targets and product launches are measured on.
-#}
{{ classify_arr_movements(ref('int_account_product_arr_monthly'), ['account_id', 'product_id']) }}
