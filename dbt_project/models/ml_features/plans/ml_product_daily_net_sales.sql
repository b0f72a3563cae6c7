-- The product mix of the inventory and pricing plans: per tenant, product and day, the units and net
-- sales of every order line (returns included, as the mix counts them; lines without a product keep a
-- null product_id). The plans sum a window of these days.

with

order_lines as (

    select * from {{ ref('order_lines') }}

),

final as (

    select
        tenant_id,
        product_id,
        order_date as sales_date,
        sum(quantity) as units,
        sum(net_sales) as net_sales

    from order_lines
    group by tenant_id, product_id, order_date

)

select * from final
