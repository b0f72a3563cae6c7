with

source as (

    select * from {{ keel_source('shopify', 'discount_codes') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as discount_code_id,
        price_rule_id,

        -- strings
        code as discount_code,

        -- numerics
        usage_count::integer as usage_count,

        -- timestamps
        created_at::timestamptz as created_at,
        updated_at::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
