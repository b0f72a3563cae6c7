-- One row per ERPNext customer (deleted ones kept and marked).
with

source as (

    select * from {{ keel_source('erpnext', 'customers') }}

),

deleted as (

    select * from {{ ref('stg_erpnext__deleted_documents') }}

),

final as (

    select
        -- ids
        source.tenant_id::uuid as tenant_id,
        source.name as customer_id,

        -- strings
        coalesce(source.customer_name, source.name) as customer_name,
        nullif(source.email_id, '') as email,

        -- booleans
        coalesce(source.disabled, 0) = 1 as is_disabled,
        exists (
            select 1 from deleted
            where
                deleted.tenant_id = source.tenant_id::uuid
                and deleted.doctype = 'Customer'
                and deleted.document_name = source.name
        ) as is_deleted,

        -- timestamps
        source.creation::timestamp as created_local,
        source._keel_cursor_at

    from source

)

select * from final
