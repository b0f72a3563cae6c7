-- One row per refund of an order (orders.refunds unnested); the money returned is the sum of the
-- refund's successful refund transactions (it includes tax and, when whole orders are refunded, tips).
with

source as (

    select * from {{ keel_source('shopify', 'orders') }}

),

refunds as (

    select
        source.tenant_id,
        source.id as order_id,
        source.customer,
        source.currency,
        source.test,
        source.cancelled_at,
        source._keel_cursor_at,
        item.refund
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source.refunds, '[]')::jsonb) as item (refund)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        (refund ->> 'id')::bigint as refund_id,
        order_id,
        (customer::jsonb ->> 'id')::bigint as customer_id,

        -- strings
        upper(currency) as currency,
        refund ->> 'note' as note,
        refund -> 'transactions' -> 0 ->> 'gateway' as gateway,  -- the first transaction's

        -- numerics
        (
            select {{ to_money("coalesce(sum((transaction ->> 'amount')::numeric), 0)") }}
            from jsonb_array_elements(coalesce(refund -> 'transactions', '[]')) as transaction
            where
                transaction ->> 'kind' = 'refund'
                and coalesce(transaction ->> 'status', 'success') = 'success'
        ) as refunded_amount,

        -- booleans
        coalesce((refund ->> 'restock')::boolean, false) as is_restocked,
        coalesce(test, false) as is_test_order,
        cancelled_at is not null as is_cancelled_order,

        -- timestamps
        (refund ->> 'created_at')::timestamptz as created_at,
        coalesce(refund ->> 'processed_at', refund ->> 'created_at')::timestamptz as processed_at,
        _keel_cursor_at

    from refunds

)

select * from final
