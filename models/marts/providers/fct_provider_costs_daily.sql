{#-
  What the providers' cost reports bill, per provider x UTC day x line item x project (OpenAI) /
  workspace (Anthropic) x model, in USD. OpenAI's line_item is kept as written; Anthropic's is its
  description (else cost_type and token_type). Anthropic amounts arrive in cents and are converted
  exactly (stg_anthropic__costs). Feeds fct_invoice_reconciliation and rpt_provider_costs_by_team.
-#}
with

openai as (

    select * from {{ ref('stg_openai__costs') }}

),

anthropic as (

    select * from {{ ref('stg_anthropic__costs') }}

),

unioned as (

    select
        provider,
        {{ dbt.date_trunc('day', 'bucket_start') }} as cost_date,
        coalesce(line_item, '(none)') as line_item,
        'project' as scope_kind,
        project_id as scope_id,
        cast(null as varchar) as model,
        currency,
        amount
    from openai

    union all

    select
        provider,
        {{ dbt.date_trunc('day', 'bucket_start') }} as cost_date,
        coalesce(
            description,
            {{ dbt.concat(["coalesce(cost_type, '')", "' '", "coalesce(token_type, '')"]) }},
            '(none)'
        ) as line_item,
        'workspace' as scope_kind,
        workspace_id as scope_id,
        model,
        currency,
        amount
    from anthropic

),

daily as (

    select
        provider,
        cast(cost_date as date) as cost_date,
        line_item,
        scope_kind,
        scope_id,
        model,
        currency,
        cast(sum(amount) as decimal(38, 14)) as billed_usd
    from unioned
    group by 1, 2, 3, 4, 5, 6, 7

),

final as (

    select
        {{ tl_key(['provider', 'cost_date', 'line_item', 'scope_id', 'model', 'currency']) }} as cost_key,
        *
    from daily

)

select * from final
