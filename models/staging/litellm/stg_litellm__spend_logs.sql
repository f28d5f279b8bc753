{#-
  Valid LiteLLM spend logs, one row per request_id: when a request was delivered more than once,
  the copy from the most recently loaded file wins (within one file, the later document, then
  record); the others are listed in audit.duplicate_records. The team (LiteLLM's team_id, else
  spend_logs_metadata.team, else a `team:` request tag) becomes the team tag through
  org/team_aliases.csv (source = litellm); an unmapped one is kept as written (lower-cased), so
  audit.unknown_team_tags shows it. LiteLLM's own `spend` is kept as reported_cost_usd. The copy
  rule lives in stg_litellm__record_copies: this keeps its copy_rank 1.
-#}
with

record_copies as (

    select * from {{ ref('stg_litellm__record_copies') }}

),

aliases as (

    select * from {{ ref('stg_org__team_aliases') }}
    where source = 'litellm'

),

latest_copies as (

    select * from record_copies
    where copy_rank = 1

),

final as (

    select
        latest_copies.request_id,
        latest_copies.response_id,
        latest_copies.call_type,
        latest_copies.occurred_at,
        latest_copies.provider_hint,
        latest_copies.model_requested,
        latest_copies.model_group,
        latest_copies.api_base,
        latest_copies.is_failed,
        latest_copies.is_cache_hit,
        latest_copies.has_usage,
        latest_copies.api_key_id,
        latest_copies.user_email,
        latest_copies.litellm_team_id,
        coalesce(aliases.team_id, lower(latest_copies.team_text)) as tag_team,
        latest_copies.project,
        latest_copies.environment,
        latest_copies.customer,
        latest_copies.request_tags,
        latest_copies.reported_cost_usd,
        latest_copies.uncached_input_tokens,
        latest_copies.cache_read_tokens,
        latest_copies.cache_write_5m_tokens,
        latest_copies.cache_write_1h_tokens,
        latest_copies.output_tokens,
        latest_copies.reasoning_tokens,
        latest_copies.source_input_tokens,
        latest_copies.load_id,
        latest_copies.file_path,
        latest_copies.document_number,
        latest_copies.record_hash
    from latest_copies
    left join aliases
        on latest_copies.team_text = aliases.external_id

)

select * from final
