{{ config(alias='retry_groups') }}
{#-
  Logical events made of more than one attempt (retries linked by retry_of): how many attempts,
  how many reported usage, and what the attempts before the final one cost.
-#}
with

attempts as (

    select * from {{ ref('int_usage_attempts_priced') }}

),

ordered as (

    select
        *,
        row_number() over (partition by event_key order by attempt_seq desc) as reverse_seq
    from attempts

),

final as (

    select
        event_key,
        min(source) as source,
        min(event_id) as event_id,
        count(*) as attempts,
        sum(case when has_usage then 1 else 0 end) as billed_attempts,
        sum(case when is_failed then 1 else 0 end) as failed_attempts,
        min(occurred_at) as first_attempt_at,
        max(occurred_at) as last_attempt_at,
        -- NULL, never a partial sum, when a billed non-final attempt is unpriced.
        case
            when sum(case when reverse_seq > 1 and has_usage and list_cost_usd is null then 1 else 0 end) = 0
                then coalesce(sum(case when reverse_seq > 1 then list_cost_usd end), 0)
        end as non_final_attempts_cost_usd,
        sum(list_cost_usd) as total_cost_usd,
        sum(case when has_usage and list_cost_usd is null then 1 else 0 end) as unpriced_attempts
    from ordered
    group by event_key
    having count(*) > 1

)

select * from final
