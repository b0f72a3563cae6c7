-- Customer records of every source in one shape.
with

shopify_customers as (

    select * from {{ ref('stg_shopify__customers') }}

),

stripe_customers as (

    select * from {{ ref('stg_stripe__customers') }}

),

quickbooks_customers as (

    select * from {{ ref('stg_quickbooks__customers') }}

),

unioned as (

    select
        tenant_id,
        'shopify' as source_system,
        customer_id::text as customer_id,
        customer_name,
        email,
        created_at,
        _keel_cursor_at
    from shopify_customers

    union all

    select
        tenant_id,
        'stripe' as source_system,
        customer_id,
        customer_name,
        email,
        created_at,
        _keel_cursor_at
    from stripe_customers

    union all

    select
        tenant_id,
        'quickbooks' as source_system,
        customer_id,
        customer_name,
        email,
        created_at,
        _keel_cursor_at
    from quickbooks_customers

),

final as (

    select * from unioned

)

select * from final
