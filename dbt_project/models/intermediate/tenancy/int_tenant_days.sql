{{ config(materialized="table") }}

-- The date spine of the daily metrics: one row per tenant and day, from the tenant's first day with
-- any recorded activity to the latest day loaded for any tenant (so a quiet tenant gets zero days,
-- not missing ones). Only dated business events count (sales, refunds, payments, invoices, bills,
-- expenses, shifts, ad spend, stock counts), never due dates or renewal dates in the future.
with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

orders as (

    select * from {{ ref('orders') }}

),

refunds as (

    select * from {{ ref('refunds') }}

),

payments as (

    select * from {{ ref('payments') }}

),

invoices as (

    select * from {{ ref('int_invoices_unioned') }}

),

bills as (

    select * from {{ ref('stg_quickbooks__bills') }}

),

bill_payments as (

    select * from {{ ref('stg_quickbooks__bill_payments') }}

),

purchases as (

    select * from {{ ref('stg_quickbooks__purchases') }}

),

shifts as (

    select * from {{ ref('shifts') }}

),

marketing_spend as (

    select * from {{ ref('marketing_spend') }}

),

inventory_levels as (

    select * from {{ ref('stg_shopify__inventory_levels') }}

),

erpnext_purchase_invoices as (

    select * from {{ ref('stg_erpnext__purchase_invoices') }}

),

erpnext_stock_ledger as (

    select * from {{ ref('stg_erpnext__stock_ledger_entries') }}

),

activity as (

    select tenant_id, min(order_date) as first_date, max(order_date) as last_date from orders group by 1
    union all
    select tenant_id, min(refund_date), max(refund_date) from refunds group by 1
    union all
    select tenant_id, min(payment_date), max(payment_date) from payments group by 1
    union all
    select tenant_id, min(invoice_date), max(invoice_date) from invoices group by 1
    union all
    select tenant_id, min(bill_date), max(bill_date) from bills group by 1
    union all
    select tenant_id, min(payment_date), max(payment_date) from bill_payments group by 1
    union all
    select tenant_id, min(purchase_date), max(purchase_date) from purchases group by 1
    union all
    select tenant_id, min(shift_date), max(shift_date) from shifts group by 1
    union all
    select tenant_id, min(spend_date), max(spend_date) from marketing_spend group by 1
    union all
    select
        inventory_levels.tenant_id,
        min({{ local_date('inventory_levels.snapshot_at', 'tenants.timezone') }}),
        max({{ local_date('inventory_levels.snapshot_at', 'tenants.timezone') }})
    from inventory_levels
    inner join tenants on inventory_levels.tenant_id = tenants.tenant_id
    group by 1
    union all
    select tenant_id, min(bill_date), max(bill_date) from erpnext_purchase_invoices where is_submitted group by 1
    union all
    select tenant_id, min(posted_local::date), max(posted_local::date) from erpnext_stock_ledger group by 1

),

tenant_ranges as (

    select
        tenant_id,
        min(first_date) as first_date
    from activity
    group by 1

),

latest_loaded as (

    select max(last_date) as last_date from activity

),

final as (

    select
        tenants.tenant_id,
        tenants.currency,
        tenants.revenue_model,
        day::date as metric_date,
        tenant_ranges.first_date as first_metric_date,
        latest_loaded.last_date as last_metric_date
    from tenant_ranges
    inner join tenants on tenant_ranges.tenant_id = tenants.tenant_id
    cross join latest_loaded
    cross join lateral generate_series(tenant_ranges.first_date, latest_loaded.last_date, interval '1 day') as day

)

select * from final
