-- Expenses / bills from owners' uploaded files, one row per (tenant, bill_id), typed.
with

source as (

    select * from {{ keel_source('files', 'bills') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        bill_id,

        -- strings
        vendor_name,
        category,
        currency,
        _file_name as file_name,

        -- numerics
        {{ to_money('amount') }} as amount,
        _row_number::integer as file_row_number,

        -- dates
        bill_date::date as bill_date,
        due_date::date as due_date,
        paid_date::date as paid_date,

        -- times and timestamps
        _keel_cursor_at

    from source

)

select * from final
