-- Sales per tenant and day: orders and their gross revenue, discounts and cost of goods on the day
-- they were placed; refunds (revenue taken back, and the cost of restocked goods) on the day they
-- were made. Days without sales or refunds have no row.
with

orders as (

    select * from {{ ref('orders') }}

),

refunds as (

    select * from {{ ref('refunds') }}

),

orders_by_day as (

    select
        tenant_id,
        order_date as metric_date,
        count(*) as orders,
        sum(gross_revenue) as revenue_gross,
        sum(discounts) as discounts,
        sum(cost_of_goods) as cost_of_goods_sold
    from orders
    group by 1, 2

),

refunds_by_day as (

    select
        tenant_id,
        refund_date as metric_date,
        sum(refunded_revenue) as refunds,
        sum(restocked_cost) as restocked_cost
    from refunds
    group by 1, 2

),

final as (

    select
        coalesce(orders_by_day.tenant_id, refunds_by_day.tenant_id) as tenant_id,
        coalesce(orders_by_day.metric_date, refunds_by_day.metric_date) as metric_date,
        coalesce(orders_by_day.orders, 0)::integer as orders,
        coalesce(orders_by_day.revenue_gross, 0)::numeric(14, 2) as revenue_gross,
        coalesce(orders_by_day.discounts, 0)::numeric(14, 2) as discounts,
        coalesce(refunds_by_day.refunds, 0)::numeric(14, 2) as refunds,
        (coalesce(orders_by_day.cost_of_goods_sold, 0) - coalesce(refunds_by_day.restocked_cost, 0))::numeric(14, 2)
            as cogs
    from orders_by_day
    full outer join refunds_by_day
        on
            orders_by_day.tenant_id = refunds_by_day.tenant_id
            and orders_by_day.metric_date = refunds_by_day.metric_date

)

select * from final
