{#-
  One row per logical usage event: a request and its retries (attempts linked by retry_of) are one
  event keyed by the first attempt's id. Tokens and cost are summed over the attempts that reported
  usage, whatever their status; attempts without usage cost nothing. Time, model and ownership
  fields come from the first attempt. If any billed attempt is unpriced, the event is unpriced
  (list_cost_usd NULL with the reason), never a partial sum and never $0.
-#}
with

attempts as (

    select * from {{ ref('int_usage_attempts_priced') }}

),

rolled_up as (

    select
        event_key,
        count(*) as attempts,
        sum(case when has_usage then 1 else 0 end) as billed_attempts,
        sum(case when is_failed then 1 else 0 end) as failed_attempts,
        sum(uncached_input_tokens) as uncached_input_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_5m_tokens) as cache_write_5m_tokens,
        sum(cache_write_1h_tokens) as cache_write_1h_tokens,
        sum(output_tokens) as output_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(input_audio_tokens) as input_audio_tokens,
        sum(output_audio_tokens) as output_audio_tokens,
        sum(web_search_requests) as web_search_requests,
        sum(input_tokens) as input_tokens,
        sum(source_input_tokens) as source_input_tokens,
        sum(case when has_usage and list_cost_usd is null then 1 else 0 end) as unpriced_attempts,
        sum(list_cost_usd) as priced_cost_usd,
        min(case when has_usage and list_cost_usd is null then unpriced_reason end) as unpriced_reason
    from attempts
    group by 1

),

first_attempts as (

    select * from attempts
    where attempt_seq = 1

),

final as (

    select
        first_attempts.event_key,
        first_attempts.event_id,
        first_attempts.source,
        first_attempts.occurred_at,
        {{ tl_month('first_attempts.occurred_at') }} as month,
        first_attempts.provider,
        first_attempts.model_requested,
        first_attempts.model_id,
        rolled_up.uncached_input_tokens,
        rolled_up.cache_read_tokens,
        rolled_up.cache_write_5m_tokens,
        rolled_up.cache_write_1h_tokens,
        rolled_up.output_tokens,
        rolled_up.reasoning_tokens,
        rolled_up.attempts,
        first_attempts.is_batch,
        first_attempts.service_tier,
        first_attempts.agent,
        first_attempts.api_key_id,
        first_attempts.user_email,
        first_attempts.tag_team,
        first_attempts.project,
        first_attempts.environment,
        first_attempts.customer,
        case
            when rolled_up.unpriced_attempts = 0 then coalesce(rolled_up.priced_cost_usd, cast(0 as {{ tl_money_type() }}))
        end as list_cost_usd,
        rolled_up.unpriced_reason,
        rolled_up.input_tokens,
        rolled_up.source_input_tokens,
        rolled_up.input_audio_tokens,
        rolled_up.output_audio_tokens,
        rolled_up.web_search_requests,
        rolled_up.billed_attempts,
        rolled_up.failed_attempts,
        first_attempts.model_provider_id,
        first_attempts.response_id,
        first_attempts.load_id as first_load_id
    from first_attempts
    inner join rolled_up
        on first_attempts.event_key = rolled_up.event_key

)

select * from final
