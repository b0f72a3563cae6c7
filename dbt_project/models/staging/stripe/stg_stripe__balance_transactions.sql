with

source as (

    select * from {{ keel_source('stripe', 'balance_transactions') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as balance_transaction_id,
        source as source_id,

        -- strings
        type as transaction_type,
        reporting_category,
        status as transaction_status,
        upper(currency) as currency,

        -- numerics
        {{ cents_to_currency('amount', 'currency') }} as amount,
        {{ cents_to_currency('fee', 'currency') }} as fee_amount,
        {{ cents_to_currency('net', 'currency') }} as net_amount,

        -- booleans
        status = 'available' as is_available,

        -- timestamps
        to_timestamp(available_on) as available_at,
        to_timestamp(created) as created_at,
        to_timestamp(updated) as updated_at,
        _keel_cursor_at

    from source

)

select * from final
