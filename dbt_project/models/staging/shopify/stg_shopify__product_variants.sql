-- One row per variant of a product (products.variants unnested): the sellable unit, with its
-- current price and the inventory item that holds its cost and stock.
with

source as (

    select * from {{ keel_source('shopify', 'products') }}

),

variants as (

    select
        source.tenant_id,
        source.id as product_id,
        source._keel_cursor_at,
        item.variant
    from source
    cross join lateral jsonb_array_elements(coalesce(source.variants, '[]')::jsonb) as item (variant)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        (variant ->> 'id')::bigint as variant_id,
        product_id,
        (variant ->> 'inventory_item_id')::bigint as inventory_item_id,

        -- strings
        variant ->> 'sku' as sku,
        variant ->> 'title' as variant_title,
        variant ->> 'inventory_policy' as inventory_policy,

        -- numerics
        {{ to_money("variant ->> 'price'") }} as price,
        {{ to_money("variant ->> 'compare_at_price'") }} as compare_at_price,
        (variant ->> 'position')::integer as variant_position,

        -- booleans
        coalesce((variant ->> 'taxable')::boolean, false) as is_taxable,
        coalesce((variant ->> 'requires_shipping')::boolean, false) as requires_shipping,

        -- timestamps
        (variant ->> 'created_at')::timestamptz as created_at,
        (variant ->> 'updated_at')::timestamptz as updated_at,
        _keel_cursor_at

    from variants

)

select * from final
