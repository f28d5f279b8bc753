{#-
  The latest publication of every published month, as two CTEs over `relation` (a CTE of
  published_team_monthly_spend lines): `latest_versions` (month, its highest publication_version)
  and `name`, the relation's lines of that version. What a closed month's exports show today.
  Renders CTEs (no trailing comma).
-#}
{% macro tl_latest_publication(relation='published', name='latest_published') -%}
latest_versions as (

    select
        month,
        max(publication_version) as publication_version
    from {{ relation }}
    group by month

),

{{ name }} as (

    select {{ relation }}.*
    from {{ relation }}
    inner join latest_versions
        on {{ relation }}.month = latest_versions.month
            and {{ relation }}.publication_version = latest_versions.publication_version

)
{%- endmacro %}
