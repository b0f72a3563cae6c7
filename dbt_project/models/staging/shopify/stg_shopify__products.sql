with

source as (

    select * from {{ keel_source('shopify', 'products') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as product_id,

        -- strings
        title as product_title,
        handle,
        product_type,
        vendor,
        status as product_status,

        -- timestamps
        created_at::timestamptz as created_at,
        updated_at::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
