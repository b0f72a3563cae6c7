-- Every tenant's orders in one shape, from the source its revenue model names
-- (docs: revenue_models). Money: gross = list price x quantity, discounts, tax, shipping and tips
-- apart; total = what the customer paid.
with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

shopify_orders as (

    select * from {{ ref('stg_shopify__orders') }}

),

stripe_charges as (

    select * from {{ ref('stg_stripe__charges') }}

),

stripe_invoices as (

    select * from {{ ref('stg_stripe__invoices') }}

),

quickbooks_invoices as (

    select * from {{ ref('stg_quickbooks__invoices') }}

),

quickbooks_invoice_lines as (

    select * from {{ ref('stg_quickbooks__invoice_lines') }}

),

files_orders as (

    select * from {{ ref('stg_files__orders') }}

),

shopify as (

    select
        shopify_orders.tenant_id,
        'shopify' as source_system,
        shopify_orders.order_id::text as order_id,
        shopify_orders.customer_id::text as customer_id,
        'shopify_order' as order_kind,
        shopify_orders.order_name as order_reference,
        coalesce(shopify_orders.currency, tenants.currency) as currency,
        shopify_orders.source_name as sales_channel,
        shopify_orders.discount_code,
        shopify_orders.line_items_amount as gross_revenue,
        shopify_orders.discount_amount as discounts,
        shopify_orders.tax_amount as tax,
        shopify_orders.shipping_amount as shipping,
        shopify_orders.tip_amount as tips,
        shopify_orders.total_amount,
        shopify_orders.created_at as ordered_at,
        {{ local_date('shopify_orders.created_at', 'tenants.timezone') }} as order_date,
        shopify_orders._keel_cursor_at
    from shopify_orders
    inner join tenants
        on
            shopify_orders.tenant_id = tenants.tenant_id
            and tenants.revenue_model = 'shopify_orders'
    where not shopify_orders.is_test and not shopify_orders.is_cancelled

),

-- A salon's order is a paid appointment: a successful charge that belongs to no invoice.
stripe_appointments as (

    select
        stripe_charges.tenant_id,
        'stripe' as source_system,
        stripe_charges.charge_id as order_id,
        stripe_charges.customer_id,
        'appointment' as order_kind,
        stripe_charges.appointment_id as order_reference,
        coalesce(stripe_charges.currency, tenants.currency) as currency,
        'in_person' as sales_channel,
        stripe_charges.promo_code as discount_code,
        -- the charge is services less discount plus tip (no sales tax on these services); the
        -- metadata's service_amount names the booked service only, not add-ons
        stripe_charges.captured_amount
        - coalesce(stripe_charges.tip_amount, 0)
        + coalesce(stripe_charges.service_discount_amount, 0) as gross_revenue,
        coalesce(stripe_charges.service_discount_amount, 0) as discounts,
        0::numeric(14, 2) as tax,
        0::numeric(14, 2) as shipping,
        coalesce(stripe_charges.tip_amount, 0) as tips,
        stripe_charges.captured_amount as total_amount,
        stripe_charges.created_at as ordered_at,
        {{ local_date('stripe_charges.created_at', 'tenants.timezone') }} as order_date,
        stripe_charges._keel_cursor_at
    from stripe_charges
    inner join tenants
        on
            stripe_charges.tenant_id = tenants.tenant_id
            and tenants.revenue_model = 'stripe_charges'
    where stripe_charges.is_successful and stripe_charges.invoice_id is null

),

-- A software company's order is a subscription invoice, counted on the day it was paid.
stripe_subscription_invoices as (

    select
        stripe_invoices.tenant_id,
        'stripe' as source_system,
        stripe_invoices.invoice_id as order_id,
        stripe_invoices.customer_id,
        'subscription_invoice' as order_kind,
        stripe_invoices.invoice_number as order_reference,
        coalesce(stripe_invoices.currency, tenants.currency) as currency,
        stripe_invoices.billing_reason as sales_channel,
        null::text as discount_code,
        stripe_invoices.subtotal_amount as gross_revenue,
        (stripe_invoices.subtotal_amount + stripe_invoices.tax_amount - stripe_invoices.total_amount)
            as discounts,
        stripe_invoices.tax_amount as tax,
        0::numeric(14, 2) as shipping,
        0::numeric(14, 2) as tips,
        stripe_invoices.amount_paid as total_amount,
        coalesce(stripe_invoices.paid_at, stripe_invoices.updated_at) as ordered_at,
        {{ local_date('coalesce(stripe_invoices.paid_at, stripe_invoices.updated_at)', 'tenants.timezone') }}
            as order_date,
        stripe_invoices._keel_cursor_at
    from stripe_invoices
    inner join tenants
        on
            stripe_invoices.tenant_id = tenants.tenant_id
            and tenants.revenue_model = 'stripe_subscriptions'
    where stripe_invoices.invoice_status = 'paid'

),

quickbooks_invoice_amounts as (

    select
        tenant_id,
        invoice_id,
        coalesce(sum(amount) filter (where detail_type = 'SalesItemLineDetail'), 0) as sales_amount,
        coalesce(sum(amount) filter (where detail_type = 'DiscountLineDetail'), 0) as discount_amount
    from quickbooks_invoice_lines
    group by 1, 2

),

-- A B2B firm's order is an invoice, counted on its invoice date (revenue as billed).
quickbooks as (

    select
        quickbooks_invoices.tenant_id,
        'quickbooks' as source_system,
        quickbooks_invoices.invoice_id as order_id,
        quickbooks_invoices.customer_id,
        'invoice' as order_kind,
        quickbooks_invoices.invoice_number as order_reference,
        coalesce(quickbooks_invoices.currency, tenants.currency) as currency,
        quickbooks_invoices.payment_terms as sales_channel,
        null::text as discount_code,
        coalesce(quickbooks_invoice_amounts.sales_amount, 0) as gross_revenue,
        coalesce(quickbooks_invoice_amounts.discount_amount, 0) as discounts,
        quickbooks_invoices.tax_amount as tax,
        0::numeric(14, 2) as shipping,
        0::numeric(14, 2) as tips,
        quickbooks_invoices.total_amount,
        quickbooks_invoices.created_at as ordered_at,
        quickbooks_invoices.invoice_date as order_date,
        quickbooks_invoices._keel_cursor_at
    from quickbooks_invoices
    inner join tenants
        on
            quickbooks_invoices.tenant_id = tenants.tenant_id
            and tenants.revenue_model = 'quickbooks_invoices'
    left join quickbooks_invoice_amounts
        on
            quickbooks_invoices.tenant_id = quickbooks_invoice_amounts.tenant_id
            and quickbooks_invoices.invoice_id = quickbooks_invoice_amounts.invoice_id

),

erpnext_invoices as (

    select * from {{ ref('stg_erpnext__sales_invoices') }}

),

erpnext_invoice_items as (

    select * from {{ ref('stg_erpnext__sales_invoice_items') }}

),

erpnext_invoice_amounts as (

    select
        tenant_id,
        invoice_id,
        sum(quantity * list_rate) as list_amount,
        sum(amount) as items_amount
    from erpnext_invoice_items
    group by 1, 2

),

-- A business on ERPNext: an order is a submitted sales invoice that is not a return, counted on its
-- posting date (cancelled, draft and deleted invoices are not revenue). Gross sales are the items at
-- their price-list rate; discounts are the items' own plus the invoice's discount on the net total.
erpnext as (

    select
        erpnext_invoices.tenant_id,
        'erpnext' as source_system,
        erpnext_invoices.invoice_id as order_id,
        erpnext_invoices.customer_id,
        'sales_invoice' as order_kind,
        erpnext_invoices.invoice_id as order_reference,
        coalesce(erpnext_invoices.currency, tenants.currency) as currency,
        case when erpnext_invoices.is_pos then 'pos' else 'invoice' end as sales_channel,
        erpnext_invoices.discount_code,
        coalesce(erpnext_invoice_amounts.list_amount, erpnext_invoices.items_amount) as gross_revenue,
        coalesce(erpnext_invoice_amounts.list_amount - erpnext_invoice_amounts.items_amount, 0)
        + erpnext_invoices.discount_amount as discounts,
        erpnext_invoices.taxes_and_charges - erpnext_invoices.shipping_amount as tax,
        erpnext_invoices.shipping_amount as shipping,
        0::numeric(14, 2) as tips,
        erpnext_invoices.grand_total as total_amount,
        erpnext_invoices.posted_local at time zone tenants.timezone as ordered_at,
        erpnext_invoices.posting_date as order_date,
        erpnext_invoices._keel_cursor_at
    from erpnext_invoices
    inner join tenants
        on
            erpnext_invoices.tenant_id = tenants.tenant_id
            and tenants.revenue_model = 'erpnext_invoices'
    left join erpnext_invoice_amounts
        on
            erpnext_invoices.tenant_id = erpnext_invoice_amounts.tenant_id
            and erpnext_invoices.invoice_id = erpnext_invoice_amounts.invoice_id
    where erpnext_invoices.is_submitted and not erpnext_invoices.is_return and not erpnext_invoices.is_deleted

),

-- An order from an owner's uploaded file counts whatever the industry: the owner said it is an order.
-- Gross sales, when the file has no column for them, are the total less tax, shipping and tips, plus
-- discounts. The file's date is already the business's own day; its time (if any) is local time.
files as (

    select
        files_orders.tenant_id,
        'files' as source_system,
        files_orders.order_id,
        files_orders.customer_id,
        'file_order' as order_kind,
        files_orders.order_id as order_reference,
        coalesce(files_orders.currency, tenants.currency) as currency,
        coalesce(files_orders.channel, 'file') as sales_channel,
        files_orders.discount_code,
        coalesce(
            files_orders.gross_sales,
            files_orders.total
            - coalesce(files_orders.tax, 0)
            - coalesce(files_orders.shipping, 0)
            - coalesce(files_orders.tips, 0)
            + coalesce(files_orders.discounts, 0)
        ) as gross_revenue,
        coalesce(files_orders.discounts, 0) as discounts,
        coalesce(files_orders.tax, 0) as tax,
        coalesce(files_orders.shipping, 0) as shipping,
        coalesce(files_orders.tips, 0) as tips,
        files_orders.total as total_amount,
        (files_orders.order_date + coalesce(files_orders.order_time, time '00:00')) at time zone tenants.timezone
            as ordered_at,
        files_orders.order_date,
        files_orders._keel_cursor_at
    from files_orders
    inner join tenants on files_orders.tenant_id = tenants.tenant_id
    where coalesce(lower(files_orders.status), '') not in ('cancelled', 'canceled', 'voided', 'void', 'test')

),

unioned as (

    select * from shopify
    union all
    select * from stripe_appointments
    union all
    select * from stripe_subscription_invoices
    union all
    select * from quickbooks
    union all
    select * from erpnext
    union all
    select * from files

),

final as (

    select
        -- ids
        tenant_id,
        source_system,
        order_id,
        customer_id,

        -- strings
        order_kind,
        order_reference,
        currency,
        sales_channel,
        discount_code,

        -- numerics
        gross_revenue::numeric(14, 2) as gross_revenue,
        discounts::numeric(14, 2) as discounts,
        (gross_revenue - discounts)::numeric(14, 2) as net_sales,
        tax::numeric(14, 2) as tax,
        shipping::numeric(14, 2) as shipping,
        tips::numeric(14, 2) as tips,
        total_amount::numeric(14, 2) as total_amount,

        -- dates
        order_date,

        -- timestamps
        ordered_at,
        _keel_cursor_at

    from unioned

)

select * from final
