with

source as (

    select * from {{ keel_source('stripe', 'charges') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as charge_id,
        customer as customer_id,
        invoice as invoice_id,
        payment_intent as payment_intent_id,

        -- strings
        description,
        status as charge_status,
        upper(currency) as currency,
        failure_code,
        payment_method_details::jsonb ->> 'type' as payment_method_type,
        payment_method_details::jsonb #>> '{card,brand}' as card_brand,
        -- salons name the booked service, its list price, discount, tip and promo code
        metadata::jsonb ->> 'appointment_id' as appointment_id,
        metadata::jsonb ->> 'service_code' as service_code,
        metadata::jsonb ->> 'service_name' as service_name,
        metadata::jsonb ->> 'promo_code' as promo_code,
        metadata::jsonb ->> 'plan' as plan_code,

        -- numerics
        {{ cents_to_currency('amount', 'currency') }} as amount,
        {{ cents_to_currency('amount_captured', 'currency') }} as captured_amount,
        {{ cents_to_currency('amount_refunded', 'currency') }} as refunded_amount,
        {{ to_money("metadata::jsonb ->> 'service_amount'") }} as service_amount,
        {{ to_money("metadata::jsonb ->> 'discount_amount'") }} as service_discount_amount,
        {{ to_money("metadata::jsonb ->> 'tip_amount'") }} as tip_amount,

        -- booleans
        coalesce(paid, false) as is_paid,
        coalesce(captured, false) as is_captured,
        coalesce(refunded, false) as is_fully_refunded,
        status = 'succeeded' as is_successful,

        -- timestamps
        to_timestamp(created) as created_at,
        to_timestamp(updated) as updated_at,
        _keel_cursor_at

    from source

)

select * from final
