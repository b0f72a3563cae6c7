-- Documents deleted on the ERPNext site (restored ones are not deleted any more).
with

source as (

    select * from {{ keel_source('erpnext', 'deleted_documents') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        name as deletion_id,
        deleted_name as document_name,

        -- strings
        deleted_doctype as doctype,

        -- timestamps
        _keel_cursor_at

    from source
    where coalesce(restored, 0) = 0

)

select * from final
