{#-
    The levels of the marts that publish them (owner_levels) are roll-ups of
    the same deals: for every row key, the team rows and the rep rows sum to
    the same figures (every known owner is in exactly one team), the manager
    rows to no more than the reps (reps without a manager are in no manager
    row), and the company row to no less (it also counts deals whose owner is
    null or not a user). Rounded products (weighted pipeline) are left out:
    each level rounds its own sum to the cent. Returns the offending keys.
-#}
{%- set marts = [
    ("kpi_pipeline_creation", ["period_grain", "period_start", "source_relation", "segment", "lead_source"],
     ["stage1_opportunities", "stage1_pipeline_arr", "stage2_opportunities", "stage2_pipeline_arr", "stage1_cohort_reached_stage2"]),
    ("kpi_new_business", ["period_grain", "period_start", "source_relation", "segment"],
     ["won_opportunities", "closed_opportunities", "won_arr", "closed_arr", "new_logos"]),
    ("kpi_forecast_categories", ["period_name"],
     ["closed_won_arr", "commit_arr", "best_case_arr", "pipeline_arr"]),
    ("kpi_pipeline_coverage", ["period_name"],
     ["closed_won_arr", "open_pipeline_arr", "prior_closed_won_arr", "prior_open_pipeline_arr"]),
    ("kpi_deal_slippage", ["month_start"],
     ["slipped_deals", "slipped_arr", "pulled_in_deals", "pulled_in_arr", "stale_deals"]),
] -%}
with
{%- for mart, keys, measures in marts %}
{{ mart }}_levels as (
    select
        '{{ mart }}' as mart,
        {% for key in keys %}cast({{ key }} as {{ dbt.type_string() }}){% if not loop.last %} || '|' || {% endif %}{% endfor %} as row_key,
        {%- for measure in measures %}
        sum(case when level = 'company' then {{ measure }} else 0 end) as company_{{ measure }},
        sum(case when level = 'team' then {{ measure }} else 0 end) as team_{{ measure }},
        sum(case when level = 'manager' then {{ measure }} else 0 end) as manager_{{ measure }},
        sum(case when level = 'rep' then {{ measure }} else 0 end) as rep_{{ measure }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(mart) }}
    group by {{ keys | join(", ") }}
),

{{ mart }}_broken as (
    select
        mart,
        row_key
    from {{ mart }}_levels
    where
        {%- for measure in measures %}
        team_{{ measure }} <> rep_{{ measure }}
        or manager_{{ measure }} > rep_{{ measure }}
        or company_{{ measure }} < rep_{{ measure }}{% if not loop.last %}
        or{% endif %}
        {%- endfor %}
){% if not loop.last %},{% endif %}
{%- endfor %}

{% for mart, keys, measures in marts %}
select * from {{ mart }}_broken
{% if not loop.last %}union all{% endif %}
{%- endfor %}
