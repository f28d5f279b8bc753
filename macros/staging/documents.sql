{#-
  One row per element of a JSON value that may be an array, carrying `columns` along: the elements
  of an array, or the value itself when it is anything else (an object, a scalar, NULL for invalid
  JSON), so no landed document disappears. `type_column` holds tl_json_type of `json_column`.
  Renders a query (a CTE body); the element is named `alias`.
-#}
{% macro tl_json_elements(relation, json_column, type_column, columns, alias) -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        {{ json_column }} as {{ alias }}
    from {{ relation }}
    where {{ type_column }} is distinct from 'ARRAY'

    union all

    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        {{ tl_json_array_rows(json_column) }} as {{ alias }}
    from {{ relation }}
    where {{ type_column }} = 'ARRAY'
{%- endmacro %}
{#-
  The rows of raw.source_documents in `formats` that this build has not parsed yet (tl_unseen_loads),
  each document parsed as JSON: the CTEs `source`, `parsed` (plus doc, the parsed JSON; NULL when the
  text is not JSON) and `documents` (plus doc_type, its JSON type). The opening of every base parser
  of a source that lands whole documents or JSON lines there (OTel, LiteLLM, the provider reports, and
  the sources a staging folder declares).
-#}
{% macro tl_source_documents(formats) -%}
source as (

    select * from {{ source('documents', 'source_documents') }}
    where format in ('{{ formats | join("', '") }}')
        and {{ tl_unseen_loads() }}

),

parsed as (

    select
        *,
        {{ tl_json_parse('raw_document') }} as doc
    from source

),

documents as (

    select
        *,
        {{ tl_json_type('doc') }} as doc_type
    from parsed

)
{%- endmacro %}

{#-
  A source document's lineage columns, as a select list (one line): load_id, file_path, file_sha256,
  then `extra` (e.g. ['format']), then document_number, line_number, loaded_at.
-#}
{% macro tl_document_lineage(extra=[]) -%}
    {{ (['load_id', 'file_path', 'file_sha256'] + extra + ['document_number', 'line_number', 'loaded_at']) | join(', ') }}
{%- endmacro %}

{#-
  The records of JSON documents that are either a page wrapping them ({"data": [...], ...}: a document
  whose `data` is an array and that has no `record_key` of its own) or the records themselves (an array
  of records, or one): the CTEs `pages` (+ is_page), `containers` and `records` (one row per element,
  `record`, with the `carried` columns), read from `documents` (tl_source_documents).
-#}
{% macro tl_paged_records(record_key, carried) -%}
pages as (

    select
        *,
        {{ tl_json_type('doc', '$.data') }} = 'ARRAY' and {{ tl_json_type('doc', record_key) }} is null as is_page
    from documents

),

containers as (

    -- what holds the records: a page's data array, else the document (an array of records, or one record)
    select
        *,
        case when is_page then {{ tl_json_get('doc', '$.data') }} else doc end as container,
        case when is_page then 'ARRAY' else doc_type end as container_type
    from pages

),

records as (

    {{ tl_json_elements('containers', 'container', 'container_type', carried, 'record') }}

)
{%- endmacro %}

{#-
  The row key of one record of a source document, `load_id:document_number:n`: n numbers the
  document's records by `order_by` (SQL over the record's columns, an order without ties).
-#}
{% macro tl_document_row_key(order_by) -%}
    {%- set str = api.Column.translate_type('string') -%}
    {{ dbt.concat([
        dbt.cast('load_id', str), "':'",
        dbt.cast('document_number', str), "':'",
        dbt.cast('row_number() over (partition by load_id, document_number order by ' ~ order_by ~ ')', str)
    ]) }}
{%- endmacro %}
