{{ config(alias='unloaded_loads') }}
{#-
  Every load taken out of the ledger by `tokenledger unload`: the file, its rows, who unloaded it,
  when and why, and the months its attempts had reached (int_load_months; none when no build had
  seen it). A load that reached a closed month cannot move that month's published lines: the month
  is recomputed without it and the difference is listed in audit.restatement_candidates until a
  restatement is approved (touches_closed_month, closed_months_touched).
-#}
with

manifest as (

    select * from {{ ref('stg_ingest__load_manifest') }}
    where status = 'loaded' and unloaded_at is not null

),

load_months as (

    select * from {{ ref('int_load_months') }}

),

closed_months as (

    select * from {{ ref('stg_org__closed_months') }}

),

touched as (

    select
        load_months.load_id,
        load_months.month,
        left(cast(load_months.month as {{ api.Column.translate_type('string') }}), 7) as month_text,
        closed_months.month is not null as is_closed
    from load_months
    left join closed_months
        on load_months.month = closed_months.month
    where load_months.load_id in (select manifest.load_id from manifest)

),

per_load as (

    select
        load_id,
        count(*) as months_touched,
        {{ dbt.listagg('month_text', "', '", 'order by month') }} as months_list,
        sum(case when is_closed then 1 else 0 end) as closed_months
    from touched
    group by load_id

),

closed_per_load as (

    select
        load_id,
        {{ dbt.listagg('month_text', "', '", 'order by month') }} as closed_months_list
    from touched
    where is_closed
    group by load_id

),

final as (

    select
        manifest.load_id,
        manifest.file_path,
        manifest.file_name,
        manifest.format,
        manifest.rows,
        manifest.loaded_at,
        manifest.unloaded_at,
        manifest.unloaded_by,
        manifest.unload_reason,
        coalesce(per_load.months_touched, 0) as months_touched,
        per_load.months_list as months_touched_list,
        coalesce(per_load.closed_months, 0) > 0 as touches_closed_month,
        closed_per_load.closed_months_list as closed_months_touched
    from manifest
    left join per_load
        on manifest.load_id = per_load.load_id
    left join closed_per_load
        on manifest.load_id = closed_per_load.load_id

)

select * from final
