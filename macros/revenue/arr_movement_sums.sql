{#-
    The measures of a roll-up of account-month ARR movements
    (int_account_arr_movements / int_account_product_arr_monthly rows) to a
    coarser grain: the summed ARR columns, then customer counts: starting,
    one per movement type in `counted_movements` (in that order), ending.
    The caller writes the select's keys and the group by.
-#}
{% macro arr_movement_sums(counted_movements=["new", "reactivation", "expansion", "contraction", "churn"]) %}
    {%- set customer_columns = {
        "new": "new_customers",
        "reactivation": "reactivated_customers",
        "expansion": "expanded_customers",
        "contraction": "contracted_customers",
        "churn": "churned_customers",
    } -%}
    sum(starting_arr) as starting_arr,
    sum(new_arr) as new_arr,
    sum(reactivation_arr) as reactivation_arr,
    sum(expansion_arr) as expansion_arr,
    sum(contraction_arr) as contraction_arr,
    sum(churned_arr) as churned_arr,
    sum(ending_arr) as ending_arr,
    sum(case when starting_arr > 0 then 1 else 0 end) as starting_customers,
    {%- for movement in counted_movements %}
    sum(case when movement_type = '{{ movement }}' then 1 else 0 end) as {{ customer_columns[movement] }},
    {%- endfor %}
    sum(case when ending_arr > 0 then 1 else 0 end) as ending_customers
{%- endmacro %}
