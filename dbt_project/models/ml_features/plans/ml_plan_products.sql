-- The products a tenant's inventory and pricing plans choose among: one row per tenant and product (the
-- first source system's, by name), with its price, unit cost and whether its stock is tracked.

with

products as (

    select * from {{ ref('products') }}

),

final as (

    select distinct on (tenant_id, product_id)
        tenant_id,
        product_id,
        product_name,
        product_kind,
        current_price::double precision as current_price,
        unit_cost::double precision as unit_cost,
        coalesce(is_inventory_tracked, false) as is_inventory_tracked

    from products
    order by tenant_id, product_id, source_system

)

select * from final
