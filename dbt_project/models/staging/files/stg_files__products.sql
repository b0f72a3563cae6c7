-- Products from owners' uploaded files, one row per (tenant, product_id), typed.
with

source as (

    select * from {{ keel_source('files', 'products') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        product_id,

        -- strings
        product_name,
        category,
        currency,
        _file_name as file_name,

        -- numerics
        {{ to_money('price') }} as price,
        {{ to_money('unit_cost') }} as unit_cost,
        _row_number::integer as file_row_number,

        -- times and timestamps
        _keel_cursor_at

    from source

)

select * from final
