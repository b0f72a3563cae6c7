-- Orders / sales from owners' uploaded files, one row per (tenant, order_id), typed.
with

source as (

    select * from {{ keel_source('files', 'orders') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        order_id,
        customer_id,

        -- strings
        currency,
        channel,
        discount_code,
        status,
        _file_name as file_name,

        -- numerics
        {{ to_money('gross_sales') }} as gross_sales,
        {{ to_money('discounts') }} as discounts,
        {{ to_money('tax') }} as tax,
        {{ to_money('shipping') }} as shipping,
        {{ to_money('tips') }} as tips,
        {{ to_money('total') }} as total,
        _row_number::integer as file_row_number,

        -- dates
        order_date::date as order_date,

        -- times and timestamps
        order_time::time as order_time,
        _keel_cursor_at

    from source

)

select * from final
