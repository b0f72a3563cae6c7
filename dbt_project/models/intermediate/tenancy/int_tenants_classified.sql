{{ config(materialized="table", post_hook=["analyze {{ this }}"]) }}

-- Each tenant with its revenue model: which source records are its orders and its revenue.
with

tenants as (

    select * from {{ ref('stg_app__tenants') }}

),

final as (

    select
        tenant_id,
        tenant_slug,
        tenant_name,
        industry,
        case industry
            when 'salon' then 'stripe_charges'
            when 'subscription_software' then 'stripe_subscriptions'
            when 'b2b_services' then 'quickbooks_invoices'
            else 'shopify_orders'
        end as revenue_model,
        naics_code,
        size_band,
        region,
        country,
        timezone,
        currency,
        is_demo,
        opened_on

    from tenants

)

select * from final
