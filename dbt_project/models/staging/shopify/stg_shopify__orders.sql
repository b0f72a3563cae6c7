with

source as (

    select * from {{ keel_source('shopify', 'orders') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as order_id,
        (customer::jsonb ->> 'id')::bigint as customer_id,
        location_id,

        -- strings
        name as order_name,
        order_number,
        upper(currency) as currency,
        financial_status,
        fulfillment_status,
        source_name,
        nullif(email, '') as customer_email,
        payment_gateway_names::jsonb ->> 0 as payment_gateway,
        discount_codes::jsonb -> 0 ->> 'code' as discount_code,

        -- numerics
        {{ to_money('total_line_items_price') }} as line_items_amount,
        {{ to_money('total_discounts') }} as discount_amount,
        {{ to_money('subtotal_price') }} as subtotal_amount,
        {{ to_money('total_tax') }} as tax_amount,
        {{ to_money("coalesce(total_shipping_price_set::jsonb #>> '{shop_money,amount}', '0')") }}
            as shipping_amount,
        {{ to_money("coalesce(total_tip_received, '0')") }} as tip_amount,
        {{ to_money('total_price') }} as total_amount,

        -- booleans
        coalesce(test, false) as is_test,
        cancelled_at is not null as is_cancelled,

        -- timestamps
        created_at::timestamptz as created_at,
        processed_at::timestamptz as processed_at,
        updated_at::timestamptz as updated_at,
        cancelled_at::timestamptz as cancelled_at,
        closed_at::timestamptz as closed_at,
        _keel_cursor_at

    from source

)

select * from final
