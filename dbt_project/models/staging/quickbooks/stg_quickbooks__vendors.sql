with

source as (

    select * from {{ keel_source('quickbooks', 'vendors') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as vendor_id,

        -- strings
        display_name as vendor_name,
        company_name,
        upper(currency_ref::jsonb ->> 'value') as currency,

        -- numerics
        {{ to_money('balance') }} as balance_amount,

        -- booleans
        coalesce(active, true) as is_active,
        coalesce(vendor1099, false) as is_1099_vendor,

        -- timestamps
        (meta_data::jsonb ->> 'CreateTime')::timestamptz as created_at,
        (meta_data::jsonb ->> 'LastUpdatedTime')::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
