with

source as (

    select * from {{ keel_source('quickbooks', 'customers') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as customer_id,

        -- strings
        display_name as customer_name,
        company_name,
        primary_email_addr::jsonb ->> 'Address' as email,
        sales_term_ref::jsonb ->> 'name' as payment_terms,
        upper(currency_ref::jsonb ->> 'value') as currency,

        -- numerics
        {{ to_money('balance') }} as balance_amount,

        -- booleans
        coalesce(active, true) as is_active,

        -- timestamps
        (meta_data::jsonb ->> 'CreateTime')::timestamptz as created_at,
        (meta_data::jsonb ->> 'LastUpdatedTime')::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
