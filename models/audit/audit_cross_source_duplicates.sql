{{ config(alias='cross_source_duplicates') }}
{#-
  Records set aside so each call counts once: attempts that reached the ledger through another
  source too (rules response_id and authoritative_source, int_usage_attempts_matched), and OTel
  spans repeating another span's usage (rules otel_parent_usage and otel_same_response,
  stg_otel__spans). The record, the rule, and the copy kept (NULL kept_attempt_id: the rule names
  a source or the usage is counted on the child spans).
-#}
with

matched as (

    select * from {{ ref('int_usage_attempts_matched') }}

),

otel as (

    select * from {{ ref('stg_otel__spans') }}
    where collapse_rule in ('parent_usage', 'same_response')

),

collapsed as (

    select
        source,
        attempt_id,
        response_id,
        provider_hint,
        occurred_at,
        match_rule,
        kept_source,
        kept_attempt_id
    from matched

    union all

    select
        'otel' as source,
        span_key as attempt_id,
        response_id,
        provider_hint,
        occurred_at,
        {{ dbt.concat(["'otel_'", 'collapse_rule']) }} as match_rule,
        'otel' as kept_source,
        collapsed_into as kept_attempt_id
    from otel

),

final as (

    select
        {{ dbt.concat(['source', "':'", 'attempt_id']) }} as attempt_key,
        *
    from collapsed

)

select * from final
