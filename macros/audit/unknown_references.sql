{#-
  Audit body: values of `column` seen in fct_usage_events (trimmed, lower-cased) that are absent from
  `reference_column` of `reference`, with their events, cost and first / last sighting.
  Used by audit.orphan_agents (agents not in the directory) and audit.unknown_api_keys.
-#}
{% macro tl_unknown_references(column, reference, reference_column, output_name) -%}
with

events as (

    select * from {{ ref('int_usage_events') }}

),

reference as (

    select * from {{ reference }}

),

final as (

    select
        {{ tl_normalize_id('events.' ~ column) }} as {{ output_name }},
        count(*) as events,
        sum(events.list_cost_usd) as list_cost_usd,
        min(events.occurred_at) as first_seen_at,
        max(events.occurred_at) as last_seen_at
    from events
    left join reference
        on {{ tl_normalize_id('events.' ~ column) }} = reference.{{ reference_column }}
    where events.{{ column }} is not null and reference.{{ reference_column }} is null
    group by {{ tl_normalize_id('events.' ~ column) }}

)

select * from final
{%- endmacro %}
