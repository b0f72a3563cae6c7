-- End-of-day stock snapshots: one row per inventory item, location and snapshot time.
with

source as (

    select * from {{ keel_source('shopify', 'inventory_levels') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        inventory_item_id,
        location_id,

        -- numerics
        available::integer as available_quantity,

        -- timestamps
        updated_at::timestamptz as snapshot_at,
        _keel_cursor_at

    from source

)

select * from final
