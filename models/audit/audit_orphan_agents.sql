{{ config(alias='orphan_agents') }}
{#- Agents seen in events but absent from the agent directory (no owner, no shared marker). -#}
{{ tl_unknown_references('agent', ref('stg_org__agent_directory'), 'agent', 'agent') }}
