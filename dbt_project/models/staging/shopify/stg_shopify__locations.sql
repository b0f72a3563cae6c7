with

source as (

    select * from {{ keel_source('shopify', 'locations') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as location_id,

        -- strings
        name as location_name,
        city,
        province_code,
        country_code,

        -- booleans
        coalesce(active, true) as is_active,

        -- timestamps
        created_at::timestamptz as created_at,
        updated_at::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
