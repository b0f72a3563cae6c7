-- Each tenant's kind of business and how it bills, from its industry, NAICS code and its own data, so a
-- connector or file tenant is classified like a demo one. The kind decides which figures fit it (the
-- benchmarks' metrics, the console's tiles, which plans apply):
--   subscription: recurring revenue (Stripe subscriptions as the revenue model, software publishers and
--                 data hosting, or subscriptions making most of the last year's revenue);
--   b2b:          invoiced business-to-business work (professional, management, administrative services);
--   services:     paid-at-the-counter personal services (salons, repair, fitness, care);
--   food:         cafés, restaurants, bakeries; retail: everything else sold as orders.
-- billing_cadence is 'monthly' when the business bills on a calendar period: subscriptions, and
-- invoicing businesses whose invoiced amount over the last 365 days falls mostly on one day of the
-- month (at least `monthly_billing_day_share` of it, e.g. retainers billed on the 1st); else 'continuous'.
with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

daily as (

    select * from {{ ref('business_metrics_daily') }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

latest as (

    select max(metric_date) as last_date from daily

),

subscription_share as (

    select
        daily.tenant_id,
        -- MRR summed over days / 30.4 is the last year's subscription revenue, against its net revenue
        sum(coalesce(daily.mrr, 0)) / 30.4 / nullif(sum(daily.revenue_net), 0) as subscription_revenue_share
    from daily
    cross join latest
    where daily.metric_date > latest.last_date - 365
    group by 1

),

invoice_days as (

    select
        invoices.tenant_id,
        extract(day from invoices.invoice_date)::integer as day_of_month,
        sum(invoices.total_amount) as billed
    from invoices
    cross join latest
    where invoices.invoice_date > latest.last_date - 365 and invoices.total_amount > 0
    group by 1, 2

),

invoice_concentration as (

    select
        tenant_id,
        max(billed) / nullif(sum(billed), 0) as top_billing_day_share,
        sum(billed) as billed_last_365_days
    from invoice_days
    group by 1

),

classified as (

    select
        tenants.tenant_id,
        case
            when tenants.revenue_model = 'stripe_subscriptions' then 'subscription'
            when tenants.revenue_model = 'quickbooks_invoices' then 'b2b'
            when tenants.revenue_model = 'stripe_charges' then 'services'
            when tenants.naics_code like '5132%' or tenants.naics_code like '518%' then 'subscription'
            when coalesce(subscription_share.subscription_revenue_share, 0) >= 0.5 then 'subscription'
            when
                tenants.naics_code like '54%' or tenants.naics_code like '55%' or tenants.naics_code like '56%'
                then 'b2b'
            when
                tenants.naics_code like '722%' or tenants.naics_code like '3118%'
                or tenants.naics_code like '4452%'
                then 'food'
            when
                tenants.naics_code like '81%' or tenants.naics_code like '62%'
                or tenants.naics_code like '61%' or tenants.naics_code like '71%'
                then 'services'
            else 'retail'
        end as business_kind,
        subscription_share.subscription_revenue_share,
        invoice_concentration.top_billing_day_share
    from tenants
    left join subscription_share on tenants.tenant_id = subscription_share.tenant_id
    left join invoice_concentration on tenants.tenant_id = invoice_concentration.tenant_id

),

final as (

    select
        -- ids
        tenant_id,

        -- strings
        business_kind,
        case
            when business_kind = 'subscription' then 'monthly'
            when
                business_kind in ('b2b', 'services')
                and top_billing_day_share >= {{ var('monthly_billing_day_share') }}
                then 'monthly'
            else 'continuous'
        end as billing_cadence,

        -- numerics
        round(subscription_revenue_share, 4)::numeric(9, 4) as subscription_revenue_share,
        round(top_billing_day_share, 4)::numeric(9, 4) as top_billing_day_share

    from classified

)

select * from final
