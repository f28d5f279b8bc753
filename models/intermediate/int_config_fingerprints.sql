{#-
  One row per month the ledger holds: the fingerprint of the configuration that can change its
  incremental facts (macros/incremental/config_fingerprint.sql). The facts store it with each month
  they build; a month whose fingerprint moved is reprocessed while it is open (tl_reprocess_months_filter).
-#}
with

load_months as (

    select distinct month from {{ ref('int_load_months') }}

),

seed_rows as (

    {%- for entry in tl_fingerprinted_seeds() %}
        {{ tl_seed_row_digests(entry.seed, ref(entry.seed), entry.get('applies_from')) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

month_rows as (

    -- A dated row applies from its date on; an undated (or unreadable) one to every month.
    select
        load_months.month,
        {{ dbt.concat(['seed_rows.seed_name', "':'", 'seed_rows.row_digest']) }} as row_digest
    from load_months
    inner join seed_rows
        on seed_rows.applies_from is null
            or seed_rows.applies_from < {{ dbt.dateadd('month', 1, 'load_months.month') }}

),

digested as (

    select
        month,
        {{ tl_sorted_string_agg('row_digest', ',') }} as row_digests
    from month_rows
    group by month

),

seeded as (

    select
        load_months.month,
        {{ dbt.hash("coalesce(digested.row_digests, '')") }} as seed_fingerprint
    from load_months
    left join digested
        on load_months.month = digested.month

),

final as (

    -- As of this build's variables; each fact combines seed_fingerprint with the variables it is built with
    -- (tl_combined_fingerprint), so a run given other --vars reprocesses even when this model is not selected.
    select
        month,
        seed_fingerprint,
        {{ tl_combined_fingerprint('seed_fingerprint') }} as config_fingerprint
    from seeded

)

select * from final
