{#-
    on-run-start: the organisation folder (env TOKENLEDGER_ORG, a seed path) must be relative to the project.
    dbt writes a seed's compiled SQL at target/run/<project>/<seed path>, and an absolute seed path makes
    that the seed file itself. The `tokenledger` command passes a relative path (a symlink under
    .tokenledger/orgs/ for a folder outside the project); this stops a plain dbt run that was given an
    absolute one before any seed is touched.
-#}
{% macro tl_check_org_path() -%}
    {%- set org = env_var('TOKENLEDGER_ORG', 'data/sample/org') -%}
    {%- if org.startswith('/') or org.startswith('\\') or (org[1:3] in (':\\', ':/')) -%}
        {{ exceptions.raise_compiler_error(
            "TOKENLEDGER_ORG must be a path relative to the project directory (got " ~ org ~ "): dbt would write "
            ~ "compiled SQL over the organisation's files. Use `tokenledger build --org DIR`, which links DIR under "
            ~ ".tokenledger/orgs/, or a relative path.") }}
    {%- endif -%}
    select 1
{%- endmacro %}
