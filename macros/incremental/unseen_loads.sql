{#-
  The base models parse raw rows once: raw loads are append-only, one load per file with an
  increasing load_id, so an incremental run parses only the loads its table has not seen. Returns
  a predicate on the raw rows (`1 = 1` on a full build).
-#}
{% macro tl_unseen_loads(load_column='load_id') -%}
    {%- if is_incremental() -%}
        {{ load_column }} > (select coalesce(max(seen.{{ load_column }}), 0) from {{ this }} as seen)
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
