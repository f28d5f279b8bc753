{#-
  Attempts that reached the ledger through more than one source (a gateway log and OTel spans of
  the same calls, say) and are set aside so each call counts once. Two rules, in order:
  1. response id: attempts of different sources sharing the provider's response id (each source's
     stg_<source>__attempts.response_id: gateway response.id, OTel gen_ai.response.id, LiteLLM
     request_id) are one call. The copy kept is the
     provider's authoritative source (var authoritative_sources) when it is among them, else the
     first in var source_priority (default gateway, litellm, otel, jobs).
  2. authoritative source: for a provider named in var authoritative_sources ({provider: source}),
     every attempt of that provider from another source that rule 1 did not match is set aside:
     that source's log is trusted to hold all of the provider's calls.
  One row per attempt set aside, with the rule and the copy kept; int_usage_attempts_unioned drops
  them and audit.cross_source_duplicates lists them.
  A kept table (macros/incremental/kept_tables.sql): rebuilt whole when what it reads changed, kept otherwise.
-#}
{{ tl_kept_table_config() }}
{%- set authoritative = var('authoritative_sources', {}) -%}
{%- set priority = var('source_priority', ['gateway', 'litellm', 'otel', 'jobs']) -%}
with

attempts as (

    -- Every registered source's attempts (macros/staging/usage_sources.sql).
    {{- tl_union_attempts(['source', 'attempt_id', 'response_id', 'provider_hint', 'occurred_at']) }}

),

ranked as (

    select
        *,
        case
            {%- for provider, source in authoritative.items() %}
            when provider_hint = '{{ provider | lower }}' and source = '{{ source | lower }}' then 0
            {%- endfor %}
            {%- for source in priority %}
                when source = '{{ source | lower }}' then {{ loop.index }}
            {%- endfor %}
            else {{ priority | length + 1 }}
        end as source_rank
    from attempts

),

by_response as (

    select
        *,
        -- distinct sources per response id (count(distinct) is not a window function on every engine)
        dense_rank() over (partition by response_id order by source)
        + dense_rank() over (partition by response_id order by source desc) - 1 as sources_with_response,
        row_number() over (partition by response_id order by source_rank, source, attempt_id) as response_rank
    from ranked
    where response_id is not null

),

response_matches as (

    select
        losers.source,
        losers.attempt_id,
        losers.response_id,
        losers.provider_hint,
        losers.occurred_at,
        'response_id' as match_rule,
        winners.source as kept_source,
        winners.attempt_id as kept_attempt_id
    from by_response as losers
    inner join by_response as winners
        on losers.response_id = winners.response_id
            and winners.response_rank = 1
    where losers.sources_with_response > 1
        and losers.response_rank > 1
        and losers.source <> winners.source

),

authoritative_matches as (

    select
        ranked.source,
        ranked.attempt_id,
        ranked.response_id,
        ranked.provider_hint,
        ranked.occurred_at,
        'authoritative_source' as match_rule,
        {%- if authoritative %}
        case
            {%- for provider, source in authoritative.items() %}
            when ranked.provider_hint = '{{ provider | lower }}' then '{{ source | lower }}'
            {%- endfor %}
        end as kept_source,
        {%- else %}
            cast(null as {{ dbt.type_string() }}) as kept_source,
        {%- endif %}
        cast(null as {{ dbt.type_string() }}) as kept_attempt_id
    from ranked
    left join response_matches
        on ranked.source = response_matches.source
            and ranked.attempt_id = response_matches.attempt_id
    where response_matches.attempt_id is null
        {%- if authoritative %}
        and (
            {%- for provider, source in authoritative.items() %}
            (ranked.provider_hint = '{{ provider | lower }}' and ranked.source <> '{{ source | lower }}'){% if not loop.last %} or{% endif %}
            {%- endfor %}
        )
        {%- else %}
            and 1 = 0
        {%- endif %}

),

final as (

    select * from response_matches
    union all
    select * from authoritative_matches

)

select * from final
{{ tl_no_rows_when_kept() }}
