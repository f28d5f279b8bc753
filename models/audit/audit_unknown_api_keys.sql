{{ config(alias='unknown_api_keys') }}
{#- API keys seen in events but absent from api_keys.csv (never guessed from the key's name). -#}
{{ tl_unknown_references('api_key_id', ref('stg_org__api_keys'), 'api_key_id', 'api_key_id') }}
