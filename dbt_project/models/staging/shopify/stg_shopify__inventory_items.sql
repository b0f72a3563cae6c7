with

source as (

    select * from {{ keel_source('shopify', 'inventory_items') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as inventory_item_id,

        -- strings
        sku,

        -- numerics
        {{ to_money('cost') }} as unit_cost,

        -- booleans
        coalesce(tracked, false) as is_tracked,

        -- timestamps
        created_at::timestamptz as created_at,
        updated_at::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
