-- Customers from owners' uploaded files, one row per (tenant, customer_id), typed.
with

source as (

    select * from {{ keel_source('files', 'customers') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        customer_id,

        -- strings
        customer_name,
        email,
        phone,
        _file_name as file_name,

        -- numerics
        _row_number::integer as file_row_number,

        -- dates
        created_date::date as created_date,

        -- times and timestamps
        _keel_cursor_at

    from source

)

select * from final
