{#-
  Resolves each distinct (provider, model) reference seen in the attempts to the price catalog,
  following genai-prices exactly:
  - provider: a given provider id matches a catalog id, else the first provider (catalog order)
    whose provider-match rule matches it; a blank provider is inferred from the model with the
    first provider whose model-match rule matches.
  - model: the first model (catalog order) of that provider whose rule matches the lower-cased
    reference; else the first match among the provider's fallback providers (one step, in their
    listed order); else the same again with a compact date rewritten (`-20251211` -> `-2025-12-11`).
  Unmatched references get unpriced_reason unknown_provider / unknown_model.
-#}
{%- set max_fallbacks = 8 -%}

with

attempts as (

    select * from {{ ref('int_usage_attempts_unioned') }}

),

providers as (

    select * from {{ ref('price_providers') }}

),

clauses as (

    select * from {{ ref('price_match_clauses') }}

),

refs as (

    select distinct
        provider_hint,
        model_requested,
        lower(trim(model_requested)) as model_ref
    from attempts
    where model_requested is not null

),

ref_texts as (

    -- Each reference as written, and (pass 2) with a compact date rewritten.
    select distinct
        model_ref,
        1 as pass,
        model_ref as match_text
    from refs

    union all

    select distinct
        model_ref,
        2 as pass,
        {{ tl_compact_date_normalized('model_ref') }} as match_text
    from refs
    where {{ tl_compact_date_normalized('model_ref') }} is not null

),

match_texts as (

    select distinct match_text from ref_texts

),

model_rule_hits as (

    -- A rule matches when every clause of one of its conjunctions matches.
    select
        match_texts.match_text,
        clauses.rule_scope,
        clauses.provider_id,
        clauses.model_id,
        clauses.rule_order,
        clauses.conjunction_id
    from match_texts
    cross join clauses
    where clauses.rule_scope in ('model', 'provider_model')
    group by
        match_texts.match_text,
        clauses.rule_scope,
        clauses.provider_id,
        clauses.model_id,
        clauses.rule_order,
        clauses.conjunction_id
    having
        min(
            case
                when {{ tl_clause_matches('match_texts.match_text', 'clauses.clause_type', 'clauses.clause_value') }}
                    then 1
                else 0
            end
        ) = 1

),

hinted_providers as (

    select distinct provider_hint from refs
    where provider_hint is not null

),

provider_rule_hits as (

    select
        hinted_providers.provider_hint,
        clauses.provider_id,
        clauses.rule_order
    from hinted_providers
    cross join clauses
    where clauses.rule_scope = 'provider_id'
    group by
        hinted_providers.provider_hint,
        clauses.provider_id,
        clauses.rule_order,
        clauses.conjunction_id
    having
        min(
            case
                when {{ tl_clause_matches('hinted_providers.provider_hint', 'clauses.clause_type', 'clauses.clause_value') }}
                    then 1
                else 0
            end
        ) = 1

),

hint_resolution as (

    select
        hinted_providers.provider_hint,
        coalesce(
            exact.provider_id,
            (
                select hits.provider_id
                from provider_rule_hits as hits
                where hits.provider_hint = hinted_providers.provider_hint
                order by hits.rule_order
                limit 1
            )
        ) as provider_id
    from hinted_providers
    left join providers as exact
        on hinted_providers.provider_hint = exact.provider_id

),

inferred_providers as (

    select
        match_text,
        provider_id,
        row_number() over (partition by match_text order by rule_order) as pick
    from model_rule_hits
    where rule_scope = 'provider_model'

),

ref_providers as (

    select
        refs.provider_hint,
        refs.model_requested,
        refs.model_ref,
        case
            when refs.provider_hint is not null then hint_resolution.provider_id
            else inferred.provider_id
        end as provider_id
    from refs
    left join hint_resolution
        on refs.provider_hint = hint_resolution.provider_hint
    left join inferred_providers as inferred
        on refs.model_ref = inferred.match_text
            and inferred.pick = 1

),

search_order as (

    -- Where to look for a provider's models: itself first, then its fallback providers in order.
    select
        provider_id,
        provider_id as catalog_provider_id,
        0 as search_rank
    from providers
    {%- for i in range(1, max_fallbacks + 1) %}

        union all

        select
            provider_id,
            {{ dbt.split_part('fallback_model_providers', "' '", i) }} as catalog_provider_id,
            {{ i }} as search_rank
        from providers
        where {{ dbt.split_part('fallback_model_providers', "' '", i) }} <> ''
    {%- endfor %}

),

model_candidates as (

    select
        ref_providers.provider_hint,
        ref_providers.model_ref,
        ref_providers.provider_id,
        hits.provider_id as model_provider_id,
        hits.model_id,
        row_number() over (
            partition by ref_providers.provider_hint, ref_providers.model_ref
            order by ref_texts.pass, search_order.search_rank, hits.rule_order
        ) as pick
    from ref_providers
    inner join ref_texts
        on ref_providers.model_ref = ref_texts.model_ref
    inner join search_order
        on ref_providers.provider_id = search_order.provider_id
    inner join model_rule_hits as hits
        on ref_texts.match_text = hits.match_text
            and search_order.catalog_provider_id = hits.provider_id
            and hits.rule_scope = 'model'

),

final as (

    select
        ref_providers.provider_hint,
        ref_providers.model_requested,
        ref_providers.model_ref,
        ref_providers.provider_id,
        model_candidates.model_provider_id,
        model_candidates.model_id,
        case
            when ref_providers.provider_id is null then 'unknown_provider'
            when model_candidates.model_id is null then 'unknown_model'
        end as unpriced_reason
    from ref_providers
    left join model_candidates
        on ref_providers.model_ref = model_candidates.model_ref
            and ref_providers.provider_hint is not distinct from model_candidates.provider_hint
            and model_candidates.pick = 1

)

select * from final
