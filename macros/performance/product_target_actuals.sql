{#-
    For kpi_product_launch_attainment: each product target's actual, read
    from the model's `targets` CTE: the sum of its metric over the rows of
    `relation` (by product, and segment when the target has one) whose
    `date_column` falls in the target period.
-#}
{%- macro product_target_actuals(relation, metrics, date_column) %}
    select
        targets.product_id,
        targets.metric,
        targets.segment,
        targets.period_start,
        targets.period_end,
        sum(
            case targets.metric
                {%- for metric in metrics %}
                    when '{{ metric }}' then {{ relation }}.{{ metric }}
                {%- endfor %}
            end
        ) as actual_value
    from targets
    inner join {{ relation }}
        on
            targets.product_id = {{ relation }}.product_id
            and (targets.segment is null or targets.segment = {{ relation }}.segment)
            and targets.period_start <= {{ relation }}.{{ date_column }}
            and targets.period_end >= {{ relation }}.{{ date_column }}
    where targets.metric in ('{{ metrics | join("', '") }}')
    group by
        targets.product_id,
        targets.metric,
        targets.segment,
        targets.period_start,
        targets.period_end
{%- endmacro %}
