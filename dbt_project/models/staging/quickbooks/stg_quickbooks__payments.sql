with

source as (

    select * from {{ keel_source('quickbooks', 'payments') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as payment_id,
        customer_ref::jsonb ->> 'value' as customer_id,

        -- strings
        payment_method_ref::jsonb ->> 'name' as payment_method,
        deposit_to_account_ref::jsonb ->> 'name' as deposit_account,
        payment_ref_num as payment_reference,
        upper(currency_ref::jsonb ->> 'value') as currency,

        -- numerics
        {{ to_money('total_amt') }} as total_amount,
        {{ to_money('coalesce(unapplied_amt, 0)') }} as unapplied_amount,

        -- dates
        txn_date::date as payment_date,

        -- timestamps
        (meta_data::jsonb ->> 'CreateTime')::timestamptz as created_at,
        (meta_data::jsonb ->> 'LastUpdatedTime')::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
