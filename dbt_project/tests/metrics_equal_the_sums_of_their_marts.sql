-- Each tenant's daily metrics add up to its marts, over the days built: orders, gross revenue,
-- discounts, refunds, cash in, labor and ad spend. Returns the tenants and metrics that differ.
with

metrics as (

    select * from {{ ref('business_metrics_daily') }}

),

built_days as (

    select tenant_id, metric_date from metrics

),

from_metrics as (

    select
        tenant_id,
        sum(orders) as orders,
        sum(revenue_gross) as revenue_gross,
        sum(discounts) as discounts,
        sum(refunds) as refunds,
        sum(cash_in) as cash_in,
        sum(labor_hours) as labor_hours,
        sum(marketing_spend_total) as marketing_spend_total
    from metrics
    group by 1

),

orders as (

    select
        orders.tenant_id,
        count(*) as orders,
        sum(orders.gross_revenue) as revenue_gross,
        sum(orders.discounts) as discounts
    from {{ ref('orders') }} as orders
    inner join built_days
        on orders.tenant_id = built_days.tenant_id and orders.order_date = built_days.metric_date
    group by 1

),

refunds as (

    select refunds.tenant_id, sum(refunds.refunded_revenue) as refunds
    from {{ ref('refunds') }} as refunds
    inner join built_days
        on refunds.tenant_id = built_days.tenant_id and refunds.refund_date = built_days.metric_date
    group by 1

),

payments as (

    select payments.tenant_id, sum(payments.amount) as cash_in
    from {{ ref('payments') }} as payments
    inner join built_days
        on payments.tenant_id = built_days.tenant_id and payments.payment_date = built_days.metric_date
    where payments.is_successful
    group by 1

),

shifts as (

    select shifts.tenant_id, sum(shifts.paid_hours) as labor_hours
    from {{ ref('shifts') }} as shifts
    inner join built_days
        on shifts.tenant_id = built_days.tenant_id and shifts.shift_date = built_days.metric_date
    group by 1

),

marketing as (

    select marketing_spend.tenant_id, sum(marketing_spend.spend) as marketing_spend_total
    from {{ ref('marketing_spend') }} as marketing_spend
    inner join built_days
        on
            marketing_spend.tenant_id = built_days.tenant_id
            and marketing_spend.spend_date = built_days.metric_date
    group by 1

),

compared as (

    select
        from_metrics.tenant_id,
        metric.name as metric,
        metric.in_metrics,
        metric.in_marts
    from from_metrics
    left join orders on from_metrics.tenant_id = orders.tenant_id
    left join refunds on from_metrics.tenant_id = refunds.tenant_id
    left join payments on from_metrics.tenant_id = payments.tenant_id
    left join shifts on from_metrics.tenant_id = shifts.tenant_id
    left join marketing on from_metrics.tenant_id = marketing.tenant_id
    cross join lateral (
        values
            ('orders', from_metrics.orders::numeric, coalesce(orders.orders, 0)::numeric),
            ('revenue_gross', from_metrics.revenue_gross, coalesce(orders.revenue_gross, 0)),
            ('discounts', from_metrics.discounts, coalesce(orders.discounts, 0)),
            ('refunds', from_metrics.refunds, coalesce(refunds.refunds, 0)),
            ('labor_hours', from_metrics.labor_hours, coalesce(shifts.labor_hours, 0)),
            ('marketing_spend_total', from_metrics.marketing_spend_total, coalesce(marketing.marketing_spend_total, 0))
    ) as metric (name, in_metrics, in_marts)

),

-- cash in also counts QuickBooks invoice payments and card charges: compare it to all payments
cash_compared as (

    select
        from_metrics.tenant_id,
        'cash_in' as metric,
        from_metrics.cash_in as in_metrics,
        coalesce(payments.cash_in, 0) as in_marts
    from from_metrics
    left join payments on from_metrics.tenant_id = payments.tenant_id

),

all_compared as (

    select * from compared
    union all
    select * from cash_compared

),

final as (

    select *
    from all_compared
    where abs(in_metrics - in_marts) > 0.005

)

select * from final
