-- One row per ERPNext employee: name, job title (designation), department and status as the site holds
-- them now (a timesheet keeps the name it was written with); deleted ones kept and marked.
with

source as (

    select * from {{ keel_source('erpnext', 'employees') }}

),

deleted as (

    select * from {{ ref('stg_erpnext__deleted_documents') }}

),

final as (

    select
        -- ids
        source.tenant_id::uuid as tenant_id,
        source.name as employee_id,

        -- strings
        coalesce(
            nullif(trim(source.employee_name), ''),
            nullif(trim(concat_ws(' ', source.first_name, source.last_name)), ''),
            source.name
        ) as employee_name,
        source.designation,
        source.department,
        source.company,
        source.status,
        source.company_email as email,

        -- booleans
        coalesce(source.status, 'Active') = 'Active' as is_active,
        exists (
            select 1 from deleted
            where
                deleted.tenant_id = source.tenant_id::uuid
                and deleted.doctype = 'Employee'
                and deleted.document_name = source.name
        ) as is_deleted,

        -- dates
        source.date_of_joining::date as joined_date,
        source.relieving_date::date as relieved_date,

        -- timestamps
        source._keel_cursor_at

    from source

)

select * from final
