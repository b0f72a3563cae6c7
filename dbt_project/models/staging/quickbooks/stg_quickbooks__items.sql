with

source as (

    select * from {{ keel_source('quickbooks', 'items') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as item_id,
        income_account_ref::jsonb ->> 'value' as income_account_id,

        -- strings
        name as item_name,
        fully_qualified_name,
        type as item_type,
        income_account_ref::jsonb ->> 'name' as income_account_name,

        -- numerics
        {{ to_money('unit_price') }} as unit_price,

        -- booleans
        coalesce(active, true) as is_active,
        coalesce(taxable, false) as is_taxable,

        -- timestamps
        (meta_data::jsonb ->> 'CreateTime')::timestamptz as created_at,
        (meta_data::jsonb ->> 'LastUpdatedTime')::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
