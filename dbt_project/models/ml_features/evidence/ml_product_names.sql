-- How the evidence graph names a product to its owner: one name per tenant and product, whichever
-- source system it was sold through.

with

products as (

    select * from {{ ref('products') }}

),

final as (

    select
        tenant_id,
        product_id,
        max(product_name) as product_name

    from products
    group by tenant_id, product_id

)

select * from final
