-- One row per tenant: who the business is (industry, size, place, age), how it sells (sales and
-- marketing channels, which kinds of data it has), how seasonal it is and what drives its revenue.
-- The coach and the console read it to describe the business and choose its peers.
--
-- Seasonality strength (0 = none, 1 = all variation is seasonal) follows Hyndman's measure:
-- 1 - var(remainder) / var(detrended), the detrended series being revenue minus its centered moving
-- average (7 days for the week, 12 months on the log scale for the year). The weekly one uses the
-- last 365 days; the yearly one needs 24 complete months, else it is empty.
with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

kinds as (

    select * from {{ ref('int_tenant_business_kinds') }}

),

daily as (

    select * from {{ ref('business_metrics_daily') }}

),

months as (

    select * from {{ ref('int_tenant_months') }}

),

order_lines as (

    select * from {{ ref('order_lines') }}

),

products as (

    select * from {{ ref('products') }}

),

orders as (

    select * from {{ ref('orders') }}

),

history as (

    select
        tenant_id,
        min(metric_date) as first_data_date,
        max(metric_date) as last_data_date,
        sum(revenue_net) filter (
            where metric_date > (select max(latest.metric_date) from daily as latest) - 365
        ) as revenue_net_last_365_days,
        bool_or(cogs <> 0) as has_cost_data,
        bool_or(labor_hours > 0 or labor_cost > 0) as has_labor_data,
        bool_or(marketing_spend_total > 0) as has_marketing_data,
        bool_or(receivables_outstanding is not null) as has_receivables_data,
        bool_or(mrr is not null) as has_subscriptions
    from daily
    group by 1

),

marketing_channels as (

    select
        daily.tenant_id,
        array_agg(distinct channel.key order by channel.key) as marketing_channels
    from daily
    cross join lateral jsonb_each_text(daily.marketing_spend_by_channel) as channel (key, value)
    where channel.value::numeric > 0
    group by 1

),

sales_channels as (

    select
        tenant_id,
        array_agg(distinct order_kind || ' (' || source_system || ')' order by order_kind || ' (' || source_system || ')')
            as sales_channels
    from orders
    group by 1

),

weekly_detrended as (

    select
        tenant_id,
        extract(isodow from metric_date) as weekday,
        revenue_net - avg(revenue_net) over (
            partition by tenant_id order by metric_date rows between 3 preceding and 3 following
        ) as detrended,
        count(*) over (
            partition by tenant_id order by metric_date rows between 3 preceding and 3 following
        ) as window_days
    from daily
    where metric_date > (select max(latest.metric_date) from daily as latest) - 365

),

weekly_seasonal as (

    select
        *,
        detrended - avg(detrended) over (partition by tenant_id, weekday) as remainder
    from weekly_detrended
    where window_days = 7

),

weekly_strength as (

    select
        tenant_id,
        greatest(0, 1 - var_samp(remainder) / nullif(var_samp(detrended), 0)) as weekly_seasonality_strength
    from weekly_seasonal
    group by 1
    having count(*) >= 28

),

yearly_detrended as (

    select
        tenant_id,
        extract(month from metric_month) as calendar_month,
        ln(revenue_net) - avg(ln(revenue_net)) over (
            partition by tenant_id order by metric_month rows between 6 preceding and 5 following
        ) as detrended,
        count(*) over (
            partition by tenant_id order by metric_month rows between 6 preceding and 5 following
        ) as window_months
    from months
    where revenue_net > 0

),

yearly_seasonal as (

    select
        *,
        detrended - avg(detrended) over (partition by tenant_id, calendar_month) as remainder
    from yearly_detrended
    where window_months = 12

),

yearly_strength as (

    select
        tenant_id,
        greatest(0, 1 - var_samp(remainder) / nullif(var_samp(detrended), 0)) as yearly_seasonality_strength
    from yearly_seasonal
    group by 1
    having count(*) >= 12 and count(distinct calendar_month) = 12

),

product_sales as (

    select
        order_lines.tenant_id,
        coalesce(products.product_category, order_lines.product_name, 'other') as revenue_driver,
        sum(order_lines.net_sales) as net_sales
    from order_lines
    left join products
        on
            order_lines.tenant_id = products.tenant_id
            and order_lines.source_system = products.source_system
            and order_lines.product_id = products.product_id
    where order_lines.order_date > (select max(latest.metric_date) from daily as latest) - 365
    group by 1, 2

),

product_shares as (

    select
        *,
        net_sales / nullif(sum(net_sales) over (partition by tenant_id), 0) as share,
        row_number() over (partition by tenant_id order by net_sales desc, revenue_driver) as driver_rank
    from product_sales
    where net_sales > 0

),

revenue_drivers as (

    select
        tenant_id,
        array_agg(revenue_driver || ' (' || round(100 * share) || '% of sales)' order by driver_rank)
            as main_revenue_drivers
    from product_shares
    where driver_rank <= 3
    group by 1

),

month_counts as (

    select tenant_id, count(*) as complete_months from months group by 1

),

final as (

    select
        -- ids
        tenants.tenant_id,

        -- strings
        tenants.tenant_name,
        tenants.industry,
        tenants.naics_code,
        tenants.size_band,
        tenants.region,
        tenants.country,
        tenants.currency,
        tenants.revenue_model,
        kinds.business_kind,
        kinds.billing_cadence,
        coalesce(sales_channels.sales_channels, array[]::text[]) as sales_channels,
        coalesce(marketing_channels.marketing_channels, array[]::text[]) as marketing_channels,
        coalesce(revenue_drivers.main_revenue_drivers, array[]::text[]) as main_revenue_drivers,

        -- numerics
        round(
            (history.last_data_date - tenants.opened_on) / 365.25, 1
        )::numeric(5, 1) as age_years,
        coalesce(month_counts.complete_months, 0)::integer as complete_months,
        history.revenue_net_last_365_days::numeric(14, 2) as revenue_net_last_365_days,
        round(weekly_strength.weekly_seasonality_strength, 3)::numeric(4, 3) as weekly_seasonality_strength,
        round(yearly_strength.yearly_seasonality_strength, 3)::numeric(4, 3) as yearly_seasonality_strength,

        -- booleans
        coalesce(history.has_cost_data, false) as has_cost_data,
        coalesce(history.has_labor_data, false) as has_labor_data,
        coalesce(history.has_marketing_data, false) as has_marketing_data,
        coalesce(history.has_receivables_data, false) as has_receivables_data,
        coalesce(history.has_subscriptions, false) as has_subscriptions,

        -- dates
        tenants.opened_on,
        history.first_data_date,
        history.last_data_date

    from tenants
    inner join kinds on tenants.tenant_id = kinds.tenant_id
    left join history on tenants.tenant_id = history.tenant_id
    left join marketing_channels on tenants.tenant_id = marketing_channels.tenant_id
    left join sales_channels on tenants.tenant_id = sales_channels.tenant_id
    left join weekly_strength on tenants.tenant_id = weekly_strength.tenant_id
    left join yearly_strength on tenants.tenant_id = yearly_strength.tenant_id
    left join revenue_drivers on tenants.tenant_id = revenue_drivers.tenant_id
    left join month_counts on tenants.tenant_id = month_counts.tenant_id

)

select * from final
