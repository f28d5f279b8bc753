{#-
  What the providers' cost reports bill, per provider x UTC day x line item x project (OpenAI) /
  workspace (Anthropic) x model, in USD. OpenAI's line_item is kept as written; Anthropic's is its
  description (else cost_type and token_type). Anthropic amounts arrive in cents and are converted
  exactly (stg_anthropic__costs). Feeds fct_invoice_reconciliation and rpt_provider_costs_by_team.
-#}
{%- set columns = ['line_item', 'scope_kind', 'scope_id', 'model', 'currency', 'amount'] -%}
{%- set expressions = {
    'openai': {
        'line_item': "coalesce(line_item, '(none)')",
        'scope_kind': "'project'",
        'scope_id': 'project_id',
        'model': 'cast(null as ' ~ dbt.type_string() ~ ')',
    },
    'anthropic': {
        'line_item': "coalesce(description, "
            ~ dbt.concat(["coalesce(cost_type, '')", "' '", "coalesce(token_type, '')"]) ~ ", '(none)')",
        'scope_kind': "'workspace'",
        'scope_id': 'workspace_id',
    },
} -%}
with

{{ tl_provider_reports_union('costs', 'cost_date', columns, expressions) }},

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
