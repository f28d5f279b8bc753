{#-
  The value of a LiteLLM request tag written key:value, for the first of `keys` present, from the
  request_tags JSON array's text (on one line): NULL when no such tag. When a key appears twice, the
  last entry wins. Keys are matched as written (lower case).
-#}
{% macro tl_litellm_tag(tags_expr, keys) -%}
    case {% for key in keys -%}
        when {{ tl_regex_matches(tags_expr, "'\"" ~ key ~ ":[^\"]*\"'") }} then {{ tl_nullif_blank(tl_regex_replace(tags_expr, '^.*\"' ~ key ~ ':([^\"]*)\".*$', '\\1')) }} {% endfor -%}
    end
{%- endmacro %}
