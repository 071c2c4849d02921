{#-
    Stage history rows reduced to stage entries: a row whose stage is the
    same as the previous row's of the same opportunity (an amount or close
    date change recorded by the CRM, a repeated sync) enters nothing. Rows
    are ordered by entered_at, then tie_breaker.
-#}
{% macro first_entry_per_stage_run(relation, tie_breaker="entered_at") %}
    select *
    from (
        select
            *,
            lag(stage_name) over (
                partition by opportunity_id
                order by entered_at, {{ tie_breaker }}
            ) as previous_stage_name
        from {{ relation }}
    ) as ordered_history
    where previous_stage_name is null or previous_stage_name <> stage_name
{%- endmacro %}
