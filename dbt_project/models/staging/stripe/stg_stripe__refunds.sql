with

source as (

    select * from {{ keel_source('stripe', 'refunds') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as refund_id,
        charge as charge_id,

        -- strings
        reason as refund_reason,
        status as refund_status,
        upper(currency) as currency,

        -- numerics
        {{ cents_to_currency('amount', 'currency') }} as amount,

        -- booleans
        coalesce(status, 'succeeded') = 'succeeded' as is_successful,

        -- timestamps
        to_timestamp(created) as created_at,
        _keel_cursor_at

    from source

)

select * from final
