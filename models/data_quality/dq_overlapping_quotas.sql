{#-
    Pairs of quota rows of the same user whose periods overlap. Each row of
    kpi_rep_attainment is right on its own, but a deal closing in the overlap
    counts in both, so sums over quota rows double-count it (the
    reconciliation test allows for exactly these amounts).
-#}
with quotas as (select * from {{ ref('stg_crm__quotas') }}),

final as (
    select
        earlier.user_id,
        earlier.period_start,
        earlier.period_end,
        later.period_start as overlapping_period_start,
        later.period_end as overlapping_period_end
    from quotas as earlier
    inner join quotas as later
        on
            earlier.user_id = later.user_id
            and earlier.period_start < later.period_start
            and earlier.period_end >= later.period_start
)

select * from final
