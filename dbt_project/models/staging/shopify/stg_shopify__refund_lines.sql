-- One row per refunded line item (orders.refunds[].refund_line_items unnested).
with

source as (

    select * from {{ keel_source('shopify', 'orders') }}

),

refunds as (

    select
        source.tenant_id,
        source.id as order_id,
        source._keel_cursor_at,
        item.refund
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source.refunds, '[]')::jsonb) as item (refund)

),

refund_lines as (

    select
        refunds.tenant_id,
        refunds.order_id,
        refunds._keel_cursor_at,
        refunds.refund,
        item.refund_line
    from refunds
    cross join lateral
        jsonb_array_elements(coalesce(refunds.refund -> 'refund_line_items', '[]')) as item (refund_line)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        (refund_line ->> 'id')::bigint as refund_line_id,
        (refund ->> 'id')::bigint as refund_id,
        order_id,
        (refund_line ->> 'line_item_id')::bigint as order_line_id,
        (refund_line ->> 'location_id')::bigint as location_id,

        -- strings
        refund_line ->> 'restock_type' as restock_type,

        -- numerics
        (refund_line ->> 'quantity')::integer as quantity,
        -- merchandise value returned: the line's price times quantity less its discount, before tax
        {{ to_money("coalesce(refund_line #>> '{subtotal_set,shop_money,amount}', refund_line ->> 'subtotal')") }}
            as subtotal_amount,
        {{ to_money("coalesce(refund_line #>> '{total_tax_set,shop_money,amount}', refund_line ->> 'total_tax')") }}
            as tax_amount,

        -- booleans
        coalesce(refund_line ->> 'restock_type', 'no_restock') in ('return', 'cancel', 'legacy_restock')
            as is_restocked,

        -- timestamps
        coalesce(refund ->> 'processed_at', refund ->> 'created_at')::timestamptz as processed_at,
        _keel_cursor_at

    from refund_lines

)

select * from final
