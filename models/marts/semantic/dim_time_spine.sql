{#-
  One row per day, 2024-01-01 to 2035-12-31: the time spine the semantic layer (MetricFlow) joins
  metrics to. Portable: dbt's date_spine macro.
-#}
with

days as (

    {{ dbt.date_spine('day', "cast('2024-01-01' as date)", "cast('2036-01-01' as date)") }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
