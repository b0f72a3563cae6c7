-- Invoices from owners' uploaded files, one row per (tenant, invoice_id), typed.
with

source as (

    select * from {{ keel_source('files', 'invoices') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        invoice_id,
        customer_id,

        -- strings
        currency,
        _file_name as file_name,

        -- numerics
        {{ to_money('total') }} as total,
        {{ to_money('balance') }} as balance,
        _row_number::integer as file_row_number,

        -- dates
        invoice_date::date as invoice_date,
        due_date::date as due_date,

        -- times and timestamps
        _keel_cursor_at

    from source

)

select * from final
