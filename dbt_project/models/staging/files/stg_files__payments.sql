-- Payments received from owners' uploaded files, one row per (tenant, payment_id), typed.
with

source as (

    select * from {{ keel_source('files', 'payments') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        payment_id,
        customer_id,
        invoice_id,

        -- strings
        payment_method,
        currency,
        _file_name as file_name,

        -- numerics
        {{ to_money('amount') }} as amount,
        _row_number::integer as file_row_number,

        -- dates
        payment_date::date as payment_date,

        -- times and timestamps
        _keel_cursor_at

    from source

)

select * from final
