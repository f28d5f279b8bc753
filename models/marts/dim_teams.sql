{#-
  Teams with lineage. A rename keeps the id. A merge (merged_into, merged_on) keeps history as it
  was (events stay on the merged team) and adds rollup_team_id: the surviving team, followed
  transitively, for "as now" reporting. Includes the `unattributed` pseudo-team.
-#}
{%- set max_merge_depth = 10 -%}

with

teams as (

    select * from {{ ref('stg_org__teams') }}

),

all_teams as (

    select
        team_id,
        team_name,
        cost_center,
        merged_into,
        merged_on
    from teams

    union all

    select
        'unattributed' as team_id,
        'Unattributed' as team_name,
        cast(null as {{ api.Column.translate_type('string') }}) as cost_center,
        cast(null as {{ api.Column.translate_type('string') }}) as merged_into,
        cast(null as date) as merged_on
    from (select 1 as one) as single_row

),

rollup_chain as (

    -- Follow merged_into up to {{ max_merge_depth }} hops (portable: no recursive CTE needed).
    select
        t0.team_id,
        {%- for i in range(1, max_merge_depth + 1) %}
            t{{ i }}.team_id as hop_{{ i }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from all_teams as t0
    {%- for i in range(1, max_merge_depth + 1) %}
        left join all_teams as t{{ i }}
            on t{{ i - 1 }}.merged_into = t{{ i }}.team_id
    {%- endfor %}

),

final as (

    select
        all_teams.team_id,
        all_teams.team_name,
        all_teams.cost_center,
        all_teams.merged_into,
        all_teams.merged_on,
        all_teams.merged_into is null as is_active,
        coalesce(
            {%- for i in range(max_merge_depth, 0, -1) %}
                rollup_chain.hop_{{ i }},
            {%- endfor %}
            all_teams.team_id
        ) as rollup_team_id
    from all_teams
    inner join rollup_chain
        on all_teams.team_id = rollup_chain.team_id

)

select * from final
