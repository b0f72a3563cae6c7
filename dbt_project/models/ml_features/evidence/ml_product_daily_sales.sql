-- What the evidence engine's price elasticities are estimated from: per tenant, product and day, the units
-- sold and the price paid (gross revenue per unit, before discounts). Returns (negative quantities) and
-- lines without a product are left out.

with

order_lines as (

    select * from {{ ref('order_lines') }}

),

final as (

    select
        tenant_id,
        product_id,
        max(sku) as sku,
        order_date as sales_date,
        (sum(gross_revenue) / sum(quantity))::double precision as unit_price,
        sum(quantity)::double precision as units

    from order_lines
    where quantity > 0 and product_id is not null
    group by tenant_id, product_id, order_date

)

select * from final
