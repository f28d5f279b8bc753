{#-
  The columns of one what-if request of int_savings_scenarios, selected from `relation` (a CTE of
  billed requests with their ledger price context): the request's keys, the rule (`opportunity`,
  `opportunity_key`, `scope_team_id` as SQL expressions), the price context and the canonical token
  buckets, each taken from the request unless `overrides` ({column: SQL expression}) replaces it.
  tier_input_tokens (the total input that picks the tier) defaults to input_tokens,
  ledger_list_cost_usd (the request's ledger cost) to list_cost_usd, cache_target_share (the cache
  rule's target) to NULL.
-#}
{% macro tl_whatif_columns(relation, opportunity, opportunity_key, scope_team_id='null', overrides={}) -%}
    {%- set columns = [
        'model_provider_id', 'model_id', 'price_date', 'price_time', 'ctx_processing', 'ctx_service_tier',
        'variants_enabled', 'uncached_input_tokens', 'cache_read_tokens', 'cache_write_5m_tokens',
        'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens', 'input_audio_tokens',
        'output_audio_tokens', 'web_search_requests', 'input_tokens'
    ] -%}
    {{ relation }}.attempt_key,
    {{ relation }}.event_key,
    {{ opportunity }} as opportunity,
    {{ opportunity_key }} as opportunity_key,
    cast({{ scope_team_id }} as {{ api.Column.translate_type('string') }}) as scope_team_id,
    {%- for column in columns %}
        {{ overrides.get(column, relation ~ '.' ~ column) }} as {{ column }},
    {%- endfor %}
    {{ overrides.get('tier_input_tokens', relation ~ '.input_tokens') }} as tier_input_tokens,
    {{ overrides.get('ledger_list_cost_usd', relation ~ '.list_cost_usd') }} as ledger_list_cost_usd,
    {{ overrides.get('cache_target_share', 'cast(null as decimal(12, 6))') }} as cache_target_share
{%- endmacro %}
