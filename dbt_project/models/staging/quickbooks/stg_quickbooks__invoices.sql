with

source as (

    select * from {{ keel_source('quickbooks', 'invoices') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as invoice_id,
        customer_ref::jsonb ->> 'value' as customer_id,

        -- strings
        doc_number as invoice_number,
        customer_ref::jsonb ->> 'name' as customer_name,
        sales_term_ref::jsonb ->> 'name' as payment_terms,
        upper(currency_ref::jsonb ->> 'value') as currency,
        email_status,

        -- numerics
        sync_token::integer as sync_token,
        {{ to_money('total_amt') }} as total_amount,
        {{ to_money("coalesce((txn_tax_detail::jsonb ->> 'TotalTax')::numeric, 0)") }} as tax_amount,
        {{ to_money('balance') }} as balance_amount,

        -- dates (the company's own calendar days)
        txn_date::date as invoice_date,
        due_date::date as due_date,

        -- timestamps
        (meta_data::jsonb ->> 'CreateTime')::timestamptz as created_at,
        (meta_data::jsonb ->> 'LastUpdatedTime')::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
