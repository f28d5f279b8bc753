{#-
  The base models parse raw rows once: raw loads are append-only, one load per file with an
  increasing load_id, so an incremental run parses only the loads its table has not seen. Loads taken
  out of the ledger (raw.load_unloads, `tokenledger unload`) are never parsed. Returns a predicate on
  the raw rows (on a full build: every load that is not unloaded).
-#}
{% macro tl_unseen_loads(load_column='load_id') -%}
    {{ load_column }} not in ({{ tl_unloaded_load_ids() }})
    {%- if is_incremental() %}
        and {{ load_column }} > (select coalesce(max(seen.{{ load_column }}), 0) from {{ this }} as seen)
    {%- endif -%}
{%- endmacro %}
