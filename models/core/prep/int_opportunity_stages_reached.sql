{#-
    When each opportunity first reached each stage number k: the first entry
    into any stage numbered >= k. So a skipped stage counts as reached, the won
    stage (highest number) reaches every stage, a backward move un-reaches
    nothing, and lost stages (no number) reach nothing new.
-#}
with entries as (
    select * from {{ ref('int_opportunity_stage_entries') }}
    where stage_number is not null
),

stage_numbers as (
    select distinct stage_number
    from {{ ref('stg_crm__stages') }}
    where stage_number is not null
),

reached as (
    select
        entries.opportunity_id,
        stage_numbers.stage_number,
        min(entries.entered_at) as first_reached_at
    from entries
    inner join stage_numbers
        on entries.stage_number >= stage_numbers.stage_number
    group by
        entries.opportunity_id,
        stage_numbers.stage_number
)

select * from reached
