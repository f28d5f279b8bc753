{{ config(alias='invalid_labels') }}
{#- Jobs rows kept with their labels ignored because the labels text is not a JSON object. -#}
with

jobs as (

    select * from {{ ref('base_jobs__jobs_parsed') }}

),

final as (

    select
        {{ dbt.concat(["'jobs:'", dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('source_row_number', api.Column.translate_type('string'))]) }} as invalid_labels_row_key,
        job_id,
        load_id,
        file_path,
        source_row_number,
        labels_text,
        reject_reason
    from jobs
    where has_invalid_labels

)

select * from final
