{#-
    One row per fiscal hire quarter, CRM connection (source_relation) and
    team, over the SDR months of kpi_sdr_roi. An SDR is judged once the
    horizon (var sdr_roi_horizon_months from the hire month) has ended by the
    as-of date and the SDR has an OTE (a cost); one who left before the end
    of the horizon is judged on the months employed. Younger SDRs count in
    sdrs_hired and sdrs_reached_target_so_far only.
    What each column means: the doc blocks of its yml.
-#}
{%- set horizon = var('sdr_roi_horizon_months', 12) | int -%}

with sdr_months as (select * from {{ ref('kpi_sdr_roi') }}),

sdrs as (
    select
        user_id,
        source_relation,
        team,
        hired_on,
        min(month_start) as hire_month_start,
        max(case when annual_ote is not null then 1 else 0 end) as has_ote,
        max(case when has_reached_target_roi then 1 else 0 end) as has_reached_target,
        max(case when is_at_target_roi and months_since_hire < {{ horizon }} then 1 else 0 end) as reached_within_horizon,
        sum(case when months_since_hire < {{ horizon }} then won_arr else 0 end) as horizon_won_arr,
        sum(case when months_since_hire < {{ horizon }} then monthly_cost else 0 end) as horizon_cost
    from sdr_months
    group by
        user_id,
        source_relation,
        team,
        hired_on
),

judged as (
    select
        sdrs.*,
        {{ period_start('quarter', 'hired_on') }} as hire_quarter_start,
        case
            when
                sdrs.has_ote = 1
                and {{ dbt.dateadd('month', horizon, 'sdrs.hire_month_start') }} <= {{ dbt.dateadd('day', 1, as_of_date()) }}
                then 1
            else 0
        end as is_observable
    from sdrs
),

cohorts as (
    select
        hire_quarter_start,
        source_relation,
        coalesce(team, 'unknown') as team,
        count(*) as sdrs_hired,
        sum(1 - has_ote) as sdrs_without_ote,
        sum(is_observable) as sdrs_observable,
        sum(is_observable * reached_within_horizon) as sdrs_at_target_within_horizon,
        sum(has_reached_target) as sdrs_reached_target_so_far,
        sum(case when is_observable = 1 then horizon_won_arr else 0 end) as horizon_won_arr,
        sum(case when is_observable = 1 then horizon_cost else 0 end) as horizon_cost
    from judged
    group by
        hire_quarter_start,
        source_relation,
        coalesce(team, 'unknown')
),

final as (
    select
        hire_quarter_start,
        source_relation,
        team,
        {{ period_end('quarter', 'hire_quarter_start') }} as hire_quarter_end,
        {{ fiscal_year('hire_quarter_start') }} as fiscal_year,
        {{ fiscal_quarter('hire_quarter_start') }} as fiscal_quarter,
        {{ horizon }} as horizon_months,
        cast({{ var('sdr_target_roi', 4.0) }} as {{ type_amount() }}) as target_roi,
        sdrs_hired,
        cast(sdrs_without_ote as {{ dbt.type_bigint() }}) as sdrs_without_ote,
        cast(sdrs_observable as {{ dbt.type_bigint() }}) as sdrs_observable,
        cast(sdrs_at_target_within_horizon as {{ dbt.type_bigint() }}) as sdrs_at_target_within_horizon,
        {{ ratio('sdrs_at_target_within_horizon', 'sdrs_observable') }} as share_at_target_within_horizon,
        cast(sdrs_reached_target_so_far as {{ dbt.type_bigint() }}) as sdrs_reached_target_so_far,
        cast(horizon_won_arr as {{ type_money() }}) as horizon_won_arr,
        cast(horizon_cost as {{ type_money() }}) as horizon_cost,
        {{ ratio('horizon_won_arr', 'horizon_cost') }} as horizon_roi
    from cohorts
)

select * from final
