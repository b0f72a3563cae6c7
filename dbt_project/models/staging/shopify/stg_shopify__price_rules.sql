with

source as (

    select * from {{ keel_source('shopify', 'price_rules') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as price_rule_id,

        -- strings
        title as price_rule_title,
        value_type,
        target_type,

        -- numerics
        -- Shopify writes the reduction as a negative value ("-15.0" = 15 % off)
        abs(value)::numeric(14, 4) as discount_value,

        -- timestamps
        starts_at::timestamptz as starts_at,
        ends_at::timestamptz as ends_at,
        created_at::timestamptz as created_at,
        updated_at::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
