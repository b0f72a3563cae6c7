-- Operations per tenant and day, dense over the date spine: labor hours and cost (shift tool),
-- ad spend in total and by channel (every channel the tenant has used, 0 on days without spend),
-- and stockouts: tracked items with nothing left at the end of a day the business sold something
-- (a closed day is not a stockout).
with

tenant_days as (

    select * from {{ ref('int_tenant_days') }}

),

shifts as (

    select * from {{ ref('shifts') }}

),

marketing_spend as (

    select * from {{ ref('marketing_spend') }}

),

inventory as (

    select * from {{ ref('inventory') }}

),

orders as (

    select * from {{ ref('orders') }}

),

labor_by_day as (

    select
        tenant_id,
        shift_date as metric_date,
        sum(paid_hours) as labor_hours,
        sum(labor_cost) as labor_cost
    from shifts
    group by 1, 2

),

tenant_channels as (

    select distinct
        tenant_id,
        channel
    from marketing_spend

),

channel_days as (

    select
        tenant_days.tenant_id,
        tenant_days.metric_date,
        tenant_channels.channel,
        coalesce(marketing_spend.spend, 0) as spend
    from tenant_days
    inner join tenant_channels on tenant_days.tenant_id = tenant_channels.tenant_id
    left join marketing_spend
        on
            tenant_days.tenant_id = marketing_spend.tenant_id
            and tenant_days.metric_date = marketing_spend.spend_date
            and tenant_channels.channel = marketing_spend.channel

),

marketing_by_day as (

    select
        tenant_id,
        metric_date,
        sum(spend) as marketing_spend_total,
        jsonb_object_agg(channel, spend order by channel) as marketing_spend_by_channel
    from channel_days
    group by 1, 2

),

selling_days as (

    select distinct
        tenant_id,
        order_date as metric_date
    from orders

),

stockouts_by_day as (

    select
        inventory.tenant_id,
        inventory.stock_date as metric_date,
        count(*) as stockout_product_days
    from inventory
    inner join selling_days
        on
            inventory.tenant_id = selling_days.tenant_id
            and inventory.stock_date = selling_days.metric_date
    where inventory.is_stockout
    group by 1, 2

),

final as (

    select
        tenant_days.tenant_id,
        tenant_days.metric_date,
        coalesce(labor_by_day.labor_hours, 0)::numeric(10, 2) as labor_hours,
        coalesce(labor_by_day.labor_cost, 0)::numeric(14, 2) as labor_cost,
        coalesce(marketing_by_day.marketing_spend_total, 0)::numeric(14, 2) as marketing_spend_total,
        coalesce(marketing_by_day.marketing_spend_by_channel, '{}'::jsonb) as marketing_spend_by_channel,
        coalesce(stockouts_by_day.stockout_product_days, 0)::integer as stockout_product_days
    from tenant_days
    left join labor_by_day
        on
            tenant_days.tenant_id = labor_by_day.tenant_id
            and tenant_days.metric_date = labor_by_day.metric_date
    left join marketing_by_day
        on
            tenant_days.tenant_id = marketing_by_day.tenant_id
            and tenant_days.metric_date = marketing_by_day.metric_date
    left join stockouts_by_day
        on
            tenant_days.tenant_id = stockouts_by_day.tenant_id
            and tenant_days.metric_date = stockouts_by_day.metric_date

)

select * from final
