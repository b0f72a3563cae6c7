-- When customers come, for the staffing plan: per tenant, day and hour of the day in the tenant's time
-- zone, the number of orders.

with

orders as (

    select * from {{ ref('orders') }}

),

tenants as (

    select * from {{ ref('stg_app__tenants') }}

),

final as (

    select
        orders.tenant_id,
        orders.order_date,
        extract(
            hour from orders.ordered_at at time zone coalesce(nullif(tenants.timezone, ''), 'UTC')
        )::int as order_hour,
        count(*)::double precision as orders

    from orders
    left join tenants on orders.tenant_id = tenants.tenant_id
    where orders.ordered_at is not null
    group by 1, 2, 3

)

select * from final
