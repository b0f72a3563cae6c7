-- Order lines (items sold) from owners' uploaded files, one row per (tenant, order_id, line_number), typed.
with

source as (

    select * from {{ keel_source('files', 'order_lines') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        order_id,
        line_number,
        product_id,

        -- strings
        product_name,
        _file_name as file_name,

        -- numerics
        quantity::numeric as quantity,
        {{ to_money('unit_price') }} as unit_price,
        {{ to_money('discounts') }} as discounts,
        {{ to_money('tax') }} as tax,
        {{ to_money('unit_cost') }} as unit_cost,
        _row_number::integer as file_row_number,

        -- dates
        order_date::date as order_date,

        -- times and timestamps
        _keel_cursor_at

    from source

)

select * from final
