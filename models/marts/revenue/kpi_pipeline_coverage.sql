{#-
    Pipeline coverage of the forward view's periods (this fiscal quarter, the
    next, this fiscal year) at company, team, manager and rep level, beside
    the same figures for the previous period of each grain as seen the same
    number of days into it (int_forward_view's current and prior windows,
    side by side; a level with rows in one window only is 0 in the other).
    What each column means: the doc blocks of its yml.
-#}
{%- set windows = {'': 'current', 'prior_': 'prior'} -%}
{%- set terms = ['closed_won_arr', 'quota_or_target', 'open_pipeline_arr', 'weighted_pipeline_arr'] -%}
with forward_view as (select * from {{ ref('int_forward_view') }}),

periods as (select * from {{ ref('int_forward_periods') }}),

sides as (
    select
        period_name,
        level,
        level_key,
        {%- for prefix, window_name in windows.items() %}
            {%- for term in terms %}
                sum(case when window_name = '{{ window_name }}' then {{ term }} else 0 end) as {{ prefix }}{{ term }},
            {%- endfor %}
        {%- endfor %}
        max(level_name) as level_name
    from forward_view
    group by
        period_name,
        level,
        level_key
),

remaining as (
    select
        *,
        {%- for prefix in windows %}
            case
                when {{ prefix }}quota_or_target > {{ prefix }}closed_won_arr then {{ prefix }}quota_or_target - {{ prefix }}closed_won_arr else 0
            end as {{ prefix }}remaining_target{% if not loop.last %},{% endif %}
        {%- endfor %}
    from sides
),

-- The current window's figures, then the prior window's dates and the same
-- figures, named prior_.
final as (
    select
        remaining.period_name,
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.fiscal_year,
        periods.fiscal_quarter,
        periods.as_of_date,
        remaining.level,
        remaining.level_key,
        remaining.level_name,
        {%- for prefix in windows %}
            {%- if prefix %}
                periods.prior_period_start,
                periods.prior_period_end,
                periods.prior_as_of_date,
            {%- endif %}
            {%- for term in ['closed_won_arr', 'quota_or_target', 'remaining_target', 'open_pipeline_arr', 'weighted_pipeline_arr'] %}
                cast(remaining.{{ prefix ~ term }} as {{ type_money() }}) as {{ prefix ~ term }},
            {%- endfor %}
            {%- set remaining_target = 'remaining.' ~ prefix ~ 'remaining_target' %}
            {{ ratio('remaining.' ~ prefix ~ 'open_pipeline_arr', remaining_target) }} as {{ prefix }}coverage,
            {{ ratio('remaining.' ~ prefix ~ 'weighted_pipeline_arr', remaining_target) }} as {{ prefix }}weighted_coverage,
        {%- endfor %}
        periods.days_into_period
    from remaining
    inner join periods
        on remaining.period_name = periods.period_name
)

select * from final
