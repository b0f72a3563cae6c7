{{ config(materialized="table") }}

-- The comparable metrics of every tenant and complete month, long format: one value per tenant,
-- month and metric (so no tenant weighs more than another in a peer group), only where the tenant
-- has the data (see int_tenant_months). What each metric is: seed benchmark_metrics.
-- `unit` is what values must share to be compared: 'ratio', 'days', or the currency of money metrics.
-- Only the metrics that fit the tenant's kind of business (seed column business_kinds): no average order
-- value for a subscription company; MRR growth and churn for subscriptions; days sales outstanding and
-- utilization for B2B and services (from billing_metrics_monthly, by calendar month).
with

months as (

    select * from {{ ref('int_tenant_months') }}

),

catalogue as (

    select * from {{ ref('benchmark_metrics') }}

),

kinds as (

    select * from {{ ref('int_tenant_business_kinds') }}

),

billing as (

    select * from {{ ref('billing_metrics_monthly') }}

),

subscriptions as (

    select * from {{ ref('subscription_metrics_monthly') }}

),

values_long as (

    select
        months.tenant_id,
        months.metric_month,
        months.currency,
        metric_values.metric,
        metric_values.metric_value
    from months
    left join billing
        on months.tenant_id = billing.tenant_id and months.metric_month = billing.month
    left join subscriptions
        on
            months.tenant_id = subscriptions.tenant_id
            and months.metric_month = subscriptions.month
            and months.currency = subscriptions.currency
    cross join lateral (
        values
        (
            'revenue_growth_mom',
            case when months.revenue_net_last_month > 0 then months.revenue_net / months.revenue_net_last_month - 1 end
        ),
        (
            'revenue_growth_yoy',
            case when months.revenue_net_last_year > 0 then months.revenue_net / months.revenue_net_last_year - 1 end
        ),
        (
            'gross_margin_pct',
            case when months.has_cost_data and months.revenue_net > 0 then 1 - months.cogs / months.revenue_net end
        ),
        (
            'cash_flow_margin',
            case when months.has_cash_data and months.cash_in > 0 then 1 - months.cash_out / months.cash_in end
        ),
        ('days_sales_outstanding', billing.days_sales_outstanding),
        ('utilization', billing.utilization),
        ('mrr_growth_mom', subscriptions.mrr_growth_mom),
        ('subscriber_churn_rate', subscriptions.churn_rate),
        ('net_revenue_retention', subscriptions.net_revenue_retention),
        (
            'labor_cost_share',
            case when months.has_labor_data and months.revenue_net > 0 then months.labor_cost / months.revenue_net end
        ),
        (
            'marketing_spend_share',
            case
                when months.has_marketing_data and months.revenue_net > 0
                    then months.marketing_spend / months.revenue_net
            end
        ),
        (
            'revenue_per_labor_hour',
            case when months.has_labor_data and months.labor_hours > 0 then months.revenue_net / months.labor_hours end
        ),
        (
            'repeat_customer_rate',
            case
                when months.new_customers + months.returning_customers > 0
                    then months.returning_customers::numeric / (months.new_customers + months.returning_customers)
            end
        ),
        (
            'customer_retention_rate',
            case
                when months.customers_last_month > 0
                    then months.customers_retained::numeric / months.customers_last_month
            end
        ),
        (
            'average_order_value',
            case when months.orders > 0 then months.net_sales / months.orders end
        )
    ) as metric_values (metric, metric_value)

),

final as (

    select
        -- ids
        values_long.tenant_id,

        -- strings
        values_long.metric,
        case catalogue.unit_kind when 'money' then values_long.currency else catalogue.unit_kind end as unit,

        -- numerics
        round(values_long.metric_value, 6)::numeric(20, 6) as metric_value,

        -- dates
        values_long.metric_month

    from values_long
    inner join catalogue on values_long.metric = catalogue.metric
    inner join kinds on values_long.tenant_id = kinds.tenant_id
    where
        values_long.metric_value is not null
        and kinds.business_kind = any(string_to_array(catalogue.business_kinds, ' '))

)

select * from final
