{#-
  Valid LiteLLM spend logs, one row per request_id: when a request was delivered more than once,
  the copy from the most recently loaded file wins (within one file, the later document, then
  record); the others are listed in audit.duplicate_records. The team (LiteLLM's team_id, else
  spend_logs_metadata.team, else a `team:` request tag) becomes the team tag through
  org/team_aliases.csv (source = litellm); an unmapped one is kept as written (lower-cased), so
  audit.unknown_team_tags shows it. LiteLLM's own `spend` is kept as reported_cost_usd.
-#}
with

parsed as (

    select * from {{ ref('base_litellm__spend_logs_parsed') }}

),

aliases as (

    select * from {{ ref('stg_org__team_aliases') }}
    where source = 'litellm'

),

ranked as (

    select
        *,
        row_number() over (
            partition by request_id
            order by load_id desc, document_number desc, record_row_key desc
        ) as copy_rank
    from parsed
    where reject_reason is null

),

final as (

    select
        ranked.request_id,
        ranked.response_id,
        ranked.call_type,
        ranked.occurred_at,
        ranked.provider_hint,
        ranked.model_requested,
        ranked.model_group,
        ranked.api_base,
        ranked.is_failed,
        ranked.is_cache_hit,
        ranked.has_usage,
        ranked.api_key_id,
        ranked.user_email,
        ranked.litellm_team_id,
        coalesce(aliases.team_id, lower(ranked.team_text)) as tag_team,
        ranked.project,
        ranked.environment,
        ranked.customer,
        ranked.request_tags,
        ranked.reported_cost_usd,
        ranked.uncached_input_tokens,
        ranked.cache_read_tokens,
        ranked.cache_write_5m_tokens,
        ranked.cache_write_1h_tokens,
        ranked.output_tokens,
        ranked.reasoning_tokens,
        ranked.source_input_tokens,
        ranked.load_id,
        ranked.file_path,
        ranked.document_number,
        ranked.record_hash
    from ranked
    left join aliases
        on ranked.team_text = aliases.external_id
    where ranked.copy_rank = 1

)

select * from final
