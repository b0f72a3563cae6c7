with

source as (

    select * from {{ keel_source('quickbooks', 'accounts') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as account_id,

        -- strings
        name as account_name,
        fully_qualified_name,
        classification,
        account_type,
        account_sub_type,
        upper(currency_ref::jsonb ->> 'value') as currency,

        -- booleans
        coalesce(active, true) as is_active,
        coalesce(sub_account, false) as is_sub_account,

        -- timestamps
        (meta_data::jsonb ->> 'CreateTime')::timestamptz as created_at,
        (meta_data::jsonb ->> 'LastUpdatedTime')::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
