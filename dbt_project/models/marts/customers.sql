{{ config(post_hook=['analyze {{ this }}']) }}

-- One row per customer of any source, with their orders: first and last order day, how many,
-- and what they spent. A customer whose account is older than the tenant's first recorded order
-- existed before Keel's data begins: their first order in the data is not their first order ever,
-- so they are never counted as a new customer.
-- Fresh statistics (the analyze post-hook) give the models built on this one good plans.

with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

customer_records as (

    select * from {{ ref('int_customers_unioned') }}

),

orders as (

    select * from {{ ref('orders') }}

),

order_totals as (

    select
        tenant_id,
        source_system,
        customer_id,
        count(*) as orders_count,
        sum(net_sales) as net_sales,
        sum(refunded_revenue) as refunded_revenue,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from orders
    where customer_id is not null
    group by 1, 2, 3

),

tenant_first_orders as (

    select
        tenant_id,
        min(order_date) as first_order_date
    from orders
    group by 1

),

-- customers known only from their orders (no customer record loaded) are customers too: one full join
-- matches records and order totals (a union of their keys joined back to both took 60% longer)
matched as (

    select
        coalesce(customer_records.tenant_id, order_totals.tenant_id) as tenant_id,
        coalesce(customer_records.source_system, order_totals.source_system) as source_system,
        coalesce(customer_records.customer_id, order_totals.customer_id) as customer_id,
        customer_records.customer_name,
        customer_records.email,
        customer_records.created_at,
        order_totals.orders_count,
        order_totals.net_sales,
        order_totals.refunded_revenue,
        order_totals.first_order_date,
        order_totals.last_order_date
    from customer_records
    full outer join order_totals
        on
            customer_records.tenant_id = order_totals.tenant_id
            and customer_records.source_system = order_totals.source_system
            and customer_records.customer_id = order_totals.customer_id

),

final as (

    select
        -- ids
        matched.tenant_id,
        matched.source_system,
        matched.customer_id,

        -- strings
        matched.customer_name,
        matched.email,

        -- numerics
        coalesce(matched.orders_count, 0)::integer as orders_count,
        coalesce(matched.net_sales, 0)::numeric(14, 2) as lifetime_net_sales,
        coalesce(matched.refunded_revenue, 0)::numeric(14, 2) as lifetime_refunded_revenue,

        -- booleans
        coalesce(
            {{ local_date('matched.created_at', 'tenants.timezone') }}
            < tenant_first_orders.first_order_date,
            false
        ) as is_preexisting,
        coalesce(matched.orders_count, 0) > 1 as is_repeat_customer,

        -- dates
        {{ local_date('matched.created_at', 'tenants.timezone') }} as created_date,
        matched.first_order_date,
        matched.last_order_date,

        -- timestamps
        matched.created_at

    from matched
    inner join tenants on matched.tenant_id = tenants.tenant_id
    left join tenant_first_orders on matched.tenant_id = tenant_first_orders.tenant_id

)

select * from final
