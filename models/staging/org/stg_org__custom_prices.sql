{#-
  Custom prices (custom_prices.csv in the organisation folder): the organisation's own USD rates per
  million tokens for a provider's models, from a date on, typed and completed. provider and model are
  trimmed and lower-cased (the model is compared with the lower-cased requested model); a blank match
  is `exact`. Blank cache and input-audio rates are the input rate, a blank output-audio rate the
  output rate, a blank request_usd 0. Rates stay exact: decimal(38, 18), as the catalog's.
  valid_to is the next effective_from of the same provider, model and match (NULL while current).
-#}
with

source as (

    select * from {{ ref('custom_prices') }}

),

typed as (

    select
        {{ tl_normalize_id(tl_seed_column(ref('custom_prices'), 'provider', 'varchar')) }} as provider,
        {{ tl_normalize_id(tl_seed_column(ref('custom_prices'), 'model', 'varchar')) }} as model,
        coalesce({{ tl_normalize_id(tl_seed_column(ref('custom_prices'), 'match', 'varchar')) }}, 'exact') as match,  -- noqa: RF04
        {{ tl_seed_column(ref('custom_prices'), 'effective_from', 'date') }} as effective_from,
        {%- for rate in ['input_mtok', 'cache_read_mtok', 'cache_write_5m_mtok', 'cache_write_1h_mtok', 'output_mtok',
                         'input_audio_mtok', 'output_audio_mtok', 'request_usd'] %}
            {{ tl_seed_column(ref('custom_prices'), rate, tl_price_type()) }} as {{ rate }},
        {%- endfor %}
        {{ tl_seed_column(ref('custom_prices'), 'note', 'varchar') }} as note
    from source

),

final as (

    select
        provider,
        model,
        match,
        effective_from,
        {{ tl_valid_to('provider, model, match') }} as valid_to,
        input_mtok,
        coalesce(cache_read_mtok, input_mtok) as cache_read_mtok,
        coalesce(cache_write_5m_mtok, input_mtok) as cache_write_5m_mtok,
        coalesce(cache_write_1h_mtok, input_mtok) as cache_write_1h_mtok,
        output_mtok,
        coalesce(input_audio_mtok, input_mtok) as input_audio_mtok,
        coalesce(output_audio_mtok, output_mtok) as output_audio_mtok,
        coalesce(request_usd, cast(0 as {{ tl_price_type() }})) as request_usd,
        note
    from typed

)

select * from final
