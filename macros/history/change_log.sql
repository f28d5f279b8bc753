{#-
  The change log of one organisation seed (the hist_*_changes models, append-only on every engine):
  each build appends one row per seed row of `relation` that is new, changed (its row_hash differs from
  the latest logged version of its key) or removed (live in the latest logged version, absent now); an
  unchanged build appends nothing. `keys` is the seed's unique key, `columns` its columns, `types` the
  exact type of a decimal column (so its text, and the row_hash, is the same on every engine).
-#}
{% macro tl_seed_change_log(relation, keys, columns, types={}) -%}
{%- set reads = [] -%}
{%- for column in columns -%}
    {%- do reads.append('cast(' ~ column ~ ' as ' ~ types[column] ~ ')' if column in types else column) -%}
{%- endfor -%}
with

seed_rows as (

    select
        {%- for column in columns %}
            {{ reads[loop.index0] }} as {{ column }},
        {%- endfor %}
        {{ dbt.hash(tl_key(reads)) }} as row_hash
    from {{ relation }}

),

logged as (

    -- Every version logged so far, numbered from the latest per key (nothing on the first build).
    {%- if is_incremental() %}
        select
            {%- for column in columns %}
                {{ column }},
            {%- endfor %}
            row_hash,
            change_kind,
            row_number() over (partition by {{ keys | join(', ') }} order by recorded_at desc) as version_rank
        from {{ this }}
    {%- else %}
        select
            {%- for column in columns %}
                {{ column }},
            {%- endfor %}
            row_hash,
            'added' as change_kind,
            1 as version_rank
        from seed_rows
        where 1 = 0
    {%- endif %}

),

live as (

    -- The latest logged version of each key, unless that version recorded its removal.
    select
        {%- for column in columns %}
            {{ column }},
        {%- endfor %}
        row_hash
    from logged
    where version_rank = 1 and change_kind <> 'removed'

),

changes as (

    select
        {%- for column in columns %}
            seed_rows.{{ column }},
        {%- endfor %}
        seed_rows.row_hash,
        case when live.row_hash is null then 'added' else 'changed' end as change_kind
    from seed_rows
    left join live
        on {{ tl_same_keys('seed_rows', 'live', keys) }}
    where live.row_hash is null or live.row_hash <> seed_rows.row_hash

    union all

    -- A removed row keeps the content of its last version.
    select
        {%- for column in columns %}
            live.{{ column }},
        {%- endfor %}
        live.row_hash,
        'removed' as change_kind
    from live
    left join seed_rows
        on {{ tl_same_keys('live', 'seed_rows', keys) }}
    where seed_rows.row_hash is null

),

final as (

    select
        {%- for column in columns %}
            {{ column }},
        {%- endfor %}
        row_hash,
        cast(change_kind as {{ dbt.type_string() }}) as change_kind,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }}) as recorded_at,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as invocation_id
    from changes
    {#- `dbt build --empty` reads no seed rows: every live row would look removed. #}
    {%- if flags.EMPTY %}
        where 1 = 0
    {%- endif %}

)

select * from final
{%- endmacro %}
