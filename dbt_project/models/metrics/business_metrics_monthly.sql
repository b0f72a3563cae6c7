-- The business's key numbers per calendar month: one row per tenant and month with any day in
-- business_metrics_daily. Flows (revenue, orders, costs, cash, hours, ad spend) are the month's sums;
-- balances (receivables, payables, subscriptions, MRR) are the value at the month's last day with data;
-- ratios are recomputed from the sums (never averaged over days). A month the data does not cover
-- whole (the first month, the month being loaded) says so in is_complete_month; growth figures compare
-- complete calendar months only (a business that bills on the 1st compares like with like).
with

daily as (

    select * from {{ ref('business_metrics_daily') }}

),

monthly as (

    select
        tenant_id,
        date_trunc('month', metric_date)::date as month,
        max(currency) as currency,
        count(*) as days_with_data,
        sum(revenue_gross) as revenue_gross,
        sum(discounts) as discounts,
        sum(refunds) as refunds,
        sum(revenue_net) as revenue_net,
        sum(orders) as orders,
        sum(cogs) as cogs,
        sum(gross_margin) as gross_margin,
        sum(new_customers) as new_customers,
        sum(returning_customers) as returning_customers,
        sum(cash_in) as cash_in,
        sum(cash_out) as cash_out,
        (array_agg(receivables_outstanding order by metric_date desc))[1] as receivables_outstanding,
        (array_agg(payables_outstanding order by metric_date desc))[1] as payables_outstanding,
        sum(labor_hours) as labor_hours,
        sum(labor_cost) as labor_cost,
        sum(marketing_spend_total) as marketing_spend_total,
        sum(stockout_product_days) as stockout_product_days,
        (array_agg(active_subscriptions order by metric_date desc))[1] as active_subscriptions,
        (array_agg(mrr order by metric_date desc))[1] as mrr,
        min(metric_date) as first_date,
        max(metric_date) as last_date
    from daily
    group by 1, 2

),

sized as (

    select
        *,
        extract(day from (month + interval '1 month' - interval '1 day'))::integer as days_in_month
    from monthly

),

completed as (

    select
        *,
        days_with_data = days_in_month as is_complete_month
    from sized

),

compared as (

    select
        current_month.*,
        previous_month.revenue_net as revenue_net_previous_month,
        last_year.revenue_net as revenue_net_last_year
    from completed as current_month
    left join completed as previous_month
        on
            current_month.tenant_id = previous_month.tenant_id
            and previous_month.month = (current_month.month - interval '1 month')::date
            and previous_month.is_complete_month
            and current_month.is_complete_month
    left join completed as last_year
        on
            current_month.tenant_id = last_year.tenant_id
            and last_year.month = (current_month.month - interval '1 year')::date
            and last_year.is_complete_month
            and current_month.is_complete_month

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,

        -- strings
        currency::text as currency,

        -- numerics
        days_in_month::integer as days_in_month,
        days_with_data::integer as days_with_data,
        revenue_gross::numeric(14, 2) as revenue_gross,
        discounts::numeric(14, 2) as discounts,
        refunds::numeric(14, 2) as refunds,
        revenue_net::numeric(14, 2) as revenue_net,
        orders::integer as orders,
        (case when orders > 0 then (revenue_gross - discounts) / orders end)::numeric(14, 2)
            as average_order_value,
        cogs::numeric(14, 2) as cogs,
        gross_margin::numeric(14, 2) as gross_margin,
        (case
            when revenue_net > 0 and abs(gross_margin) < 99999 * revenue_net
                then round(gross_margin / revenue_net, 4)
        end)::numeric(9, 4) as gross_margin_pct,
        new_customers::integer as new_customers,
        returning_customers::integer as returning_customers,
        cash_in::numeric(14, 2) as cash_in,
        cash_out::numeric(14, 2) as cash_out,
        receivables_outstanding::numeric(14, 2) as receivables_outstanding,
        payables_outstanding::numeric(14, 2) as payables_outstanding,
        labor_hours::numeric(12, 2) as labor_hours,
        labor_cost::numeric(14, 2) as labor_cost,
        marketing_spend_total::numeric(14, 2) as marketing_spend_total,
        stockout_product_days::integer as stockout_product_days,
        active_subscriptions::integer as active_subscriptions,
        mrr::numeric(14, 2) as mrr,
        revenue_net_previous_month::numeric(14, 2) as revenue_net_previous_month,
        (case
            when revenue_net_previous_month > 0 then round(revenue_net / revenue_net_previous_month - 1, 4)
        end)::numeric(12, 4) as revenue_net_growth_mom,
        revenue_net_last_year::numeric(14, 2) as revenue_net_last_year,
        (case
            when revenue_net_last_year > 0 then round(revenue_net / revenue_net_last_year - 1, 4)
        end)::numeric(12, 4) as revenue_net_growth_yoy,

        -- booleans
        is_complete_month,

        -- dates
        month,
        first_date,
        last_date

    from compared

)

select * from final
