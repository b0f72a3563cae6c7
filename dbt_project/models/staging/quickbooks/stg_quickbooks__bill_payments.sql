with

source as (

    select * from {{ keel_source('quickbooks', 'bill_payments') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as bill_payment_id,
        vendor_ref::jsonb ->> 'value' as vendor_id,

        -- strings
        vendor_ref::jsonb ->> 'name' as vendor_name,
        pay_type as payment_type,
        upper(currency_ref::jsonb ->> 'value') as currency,

        -- numerics
        {{ to_money('total_amt') }} as total_amount,

        -- dates
        txn_date::date as payment_date,

        -- timestamps
        (meta_data::jsonb ->> 'CreateTime')::timestamptz as created_at,
        (meta_data::jsonb ->> 'LastUpdatedTime')::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
