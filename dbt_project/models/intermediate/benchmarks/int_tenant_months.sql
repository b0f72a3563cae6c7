{{ config(materialized="table") }}

-- One row per tenant and complete calendar month (every day of the month is in
-- business_metrics_daily): the month's totals, the tenant's totals a month and a year earlier, customer
-- retention from the orders mart, and which kinds of data the tenant has at all.
--
-- A metric whose source the tenant has not connected reads 0 in the daily metrics (cogs, labor,
-- ad spend): that 0 means "unknown", not "free". The has_*_data flags say whether the tenant has ever
-- recorded the quantity, so benchmarks and the health score skip what a tenant has no data for.
with

daily as (

    select * from {{ ref('business_metrics_daily') }}

),

orders as (

    select * from {{ ref('orders') }}

),

coverage as (

    select
        tenant_id,
        bool_or(cogs <> 0) as has_cost_data,
        bool_or(labor_hours > 0 or labor_cost > 0) as has_labor_data,
        bool_or(marketing_spend_total > 0) as has_marketing_data,
        bool_or(receivables_outstanding is not null) as has_receivables_data,
        bool_or(cash_in > 0 or cash_out > 0) as has_cash_data,
        min(metric_date) as first_metric_date
    from daily
    group by 1

),

monthly as (

    select
        tenant_id,
        date_trunc('month', metric_date)::date as metric_month,
        max(currency) as currency,
        count(*) as days_with_data,
        sum(revenue_net) as revenue_net,
        sum(revenue_gross - discounts) as net_sales,
        sum(orders) as orders,
        sum(cogs) as cogs,
        sum(new_customers) as new_customers,
        sum(returning_customers) as returning_customers,
        sum(cash_in) as cash_in,
        sum(cash_out) as cash_out,
        avg(receivables_outstanding) as receivables_average,
        sum(labor_hours) as labor_hours,
        sum(labor_cost) as labor_cost,
        sum(marketing_spend_total) as marketing_spend
    from daily
    group by 1, 2

),

complete_months as (

    select
        *,
        extract(day from (metric_month + interval '1 month' - interval '1 day'))::integer as days_in_month
    from monthly
    where days_with_data = extract(day from (metric_month + interval '1 month' - interval '1 day'))

),

customer_months as (

    select distinct
        tenant_id,
        source_system,
        customer_id,
        date_trunc('month', order_date)::date as order_month
    from orders
    where customer_id is not null

),

retention as (

    select
        previous.tenant_id,
        (previous.order_month + interval '1 month')::date as metric_month,
        count(*) as customers_last_month,
        count(current_month.customer_id) as customers_retained
    from customer_months as previous
    left join customer_months as current_month
        on
            previous.tenant_id = current_month.tenant_id
            and previous.source_system = current_month.source_system
            and previous.customer_id = current_month.customer_id
            and current_month.order_month = (previous.order_month + interval '1 month')::date
    group by 1, 2

),

final as (

    select
        -- ids
        complete_months.tenant_id,

        -- strings
        complete_months.currency,

        -- numerics
        complete_months.days_in_month,
        complete_months.revenue_net,
        complete_months.net_sales,
        complete_months.orders,
        complete_months.cogs,
        complete_months.new_customers,
        complete_months.returning_customers,
        complete_months.cash_in,
        complete_months.cash_out,
        complete_months.receivables_average,
        complete_months.labor_hours,
        complete_months.labor_cost,
        complete_months.marketing_spend,
        last_month.revenue_net as revenue_net_last_month,
        last_year.revenue_net as revenue_net_last_year,
        retention.customers_last_month,
        retention.customers_retained,
        count(*) over (
            partition by complete_months.tenant_id order by complete_months.metric_month
        ) as complete_months_so_far,

        -- booleans
        coverage.has_cost_data,
        coverage.has_labor_data,
        coverage.has_marketing_data,
        coverage.has_receivables_data,
        coverage.has_cash_data,

        -- dates
        complete_months.metric_month,
        coverage.first_metric_date

    from complete_months
    inner join coverage on complete_months.tenant_id = coverage.tenant_id
    left join complete_months as last_month
        on
            complete_months.tenant_id = last_month.tenant_id
            and last_month.metric_month = (complete_months.metric_month - interval '1 month')::date
    left join complete_months as last_year
        on
            complete_months.tenant_id = last_year.tenant_id
            and last_year.metric_month = (complete_months.metric_month - interval '1 year')::date
    left join retention
        on
            complete_months.tenant_id = retention.tenant_id
            and complete_months.metric_month = retention.metric_month

)

select * from final
