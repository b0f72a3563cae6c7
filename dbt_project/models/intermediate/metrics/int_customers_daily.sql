-- New and returning customers per tenant and day. Each customer who ordered that day counts once:
-- as new on the day of their first order (unless they existed before the data begins), as
-- returning on any later day. Anonymous orders (walk-ins without an account) count for neither.
with

orders as (

    select * from {{ ref('orders') }}

),

customers as (

    select * from {{ ref('customers') }}

),

customer_days as (

    select distinct
        tenant_id,
        source_system,
        customer_id,
        order_date
    from orders
    where customer_id is not null

),

classified as (

    select
        customer_days.tenant_id,
        customer_days.order_date,
        customer_days.order_date = customers.first_order_date
        and not coalesce(customers.is_preexisting, false) as is_new
    from customer_days
    left join customers
        on
            customer_days.tenant_id = customers.tenant_id
            and customer_days.source_system = customers.source_system
            and customer_days.customer_id = customers.customer_id

),

final as (

    select
        tenant_id,
        order_date as metric_date,
        count(*) filter (where is_new)::integer as new_customers,
        count(*) filter (where not is_new)::integer as returning_customers
    from classified
    group by 1, 2

)

select * from final
