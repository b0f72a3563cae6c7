-- One row per line item of an order (orders.line_items unnested).
with

source as (

    select * from {{ keel_source('shopify', 'orders') }}

),

line_items as (

    select
        source.tenant_id,
        source.id as order_id,
        source.created_at,
        source.test,
        source.cancelled_at,
        source.refunds,
        source._keel_cursor_at,
        item.line_item,
        item.line_position
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source.line_items, '[]')::jsonb)
        with ordinality as item (line_item, line_position)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        (line_item ->> 'id')::bigint as order_line_id,
        order_id,
        (line_item ->> 'product_id')::bigint as product_id,
        (line_item ->> 'variant_id')::bigint as variant_id,

        -- strings
        line_item ->> 'sku' as sku,
        line_item ->> 'title' as product_title,
        line_item ->> 'fulfillment_status' as fulfillment_status,

        -- numerics
        line_position::integer as line_position,
        (line_item ->> 'quantity')::integer as quantity,
        {{ to_money("line_item ->> 'price'") }} as unit_price,
        -- the line's share of order-level discounts (Shopify's total_discount stays 0.00)
        (
            select {{ to_money("coalesce(sum((allocation ->> 'amount')::numeric), 0)") }}
            from jsonb_array_elements(coalesce(line_item -> 'discount_allocations', '[]')) as allocation
        ) as discount_amount,
        (
            select {{ to_money("coalesce(sum((tax_line ->> 'price')::numeric), 0)") }}
            from jsonb_array_elements(coalesce(line_item -> 'tax_lines', '[]')) as tax_line
        ) as tax_amount,
        -- units of this line refunded so far, by any of the order's refunds
        (
            select coalesce(sum((refund_line ->> 'quantity')::integer), 0)
            from jsonb_array_elements(coalesce(refunds, '[]')::jsonb) as refund,
                jsonb_array_elements(coalesce(refund -> 'refund_line_items', '[]')) as refund_line
            where refund_line ->> 'line_item_id' = line_item ->> 'id'
        ) as refunded_quantity,

        -- booleans
        coalesce((line_item ->> 'taxable')::boolean, false) as is_taxable,
        coalesce((line_item ->> 'requires_shipping')::boolean, false) as requires_shipping,
        coalesce((line_item ->> 'gift_card')::boolean, false) as is_gift_card,
        coalesce(test, false) as is_test_order,
        cancelled_at is not null as is_cancelled_order,

        -- timestamps
        created_at::timestamptz as ordered_at,
        _keel_cursor_at

    from line_items

)

select * from final
