{{ config(materialized="table", post_hook=["analyze {{ this }}"]) }}

-- Each tenant with its revenue model: which source records are its orders and its revenue. A
-- business that keeps its sales in ERPNext has its orders there, whatever its industry: the ERP is
-- its book of record (an ERPNext site often makes invoices of a shop's orders too, which must not
-- count twice).
with

tenants as (

    select * from {{ ref('stg_app__tenants') }}

),

erpnext_sales as (

    select distinct tenant_id from {{ ref('stg_erpnext__sales_invoices') }}

),

final as (

    select
        tenants.tenant_id,
        tenants.tenant_slug,
        tenants.tenant_name,
        tenants.industry,
        case
            when erpnext_sales.tenant_id is not null then 'erpnext_invoices'
            when tenants.industry = 'salon' then 'stripe_charges'
            when tenants.industry = 'subscription_software' then 'stripe_subscriptions'
            when tenants.industry = 'b2b_services' then 'quickbooks_invoices'
            else 'shopify_orders'
        end as revenue_model,
        tenants.naics_code,
        tenants.size_band,
        tenants.region,
        tenants.country,
        tenants.timezone,
        tenants.currency,
        tenants.is_demo,
        tenants.opened_on

    from tenants
    left join erpnext_sales on tenants.tenant_id = erpnext_sales.tenant_id

)

select * from final
