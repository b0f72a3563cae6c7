-- Stock on hand of the inventory plan: per tenant, tracked product and day, the units available across
-- locations.

with

inventory as (

    select * from {{ ref('inventory') }}

),

final as (

    select
        tenant_id,
        product_id,
        stock_date,
        sum(available_quantity)::double precision as on_hand

    from inventory
    where is_tracked and product_id is not null
    group by tenant_id, product_id, stock_date

)

select * from final
