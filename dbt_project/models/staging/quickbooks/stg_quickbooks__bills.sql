with

source as (

    select * from {{ keel_source('quickbooks', 'bills') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as bill_id,
        vendor_ref::jsonb ->> 'value' as vendor_id,

        -- strings
        doc_number as bill_number,
        vendor_ref::jsonb ->> 'name' as vendor_name,
        sales_term_ref::jsonb ->> 'name' as payment_terms,
        upper(currency_ref::jsonb ->> 'value') as currency,

        -- numerics
        sync_token::integer as sync_token,
        {{ to_money('total_amt') }} as total_amount,
        {{ to_money('balance') }} as balance_amount,

        -- dates
        txn_date::date as bill_date,
        due_date::date as due_date,

        -- timestamps
        (meta_data::jsonb ->> 'CreateTime')::timestamptz as created_at,
        (meta_data::jsonb ->> 'LastUpdatedTime')::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
