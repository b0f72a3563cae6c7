-- Refunds of orders in one shape. Two amounts: the money returned to the customer (tax, shipping
-- and tips included; cash out) and the refunded revenue (the merchandise or service value, before
-- tax and tips), which is what net revenue subtracts. Refunds count on the day they were made.
-- Only refunds of what the tenant's revenue model counts as orders are kept.
with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

order_lines as (

    select * from {{ ref('order_lines') }}

),

shopify_refunds as (

    select * from {{ ref('stg_shopify__refunds') }}

),

shopify_refund_lines as (

    select * from {{ ref('stg_shopify__refund_lines') }}

),

stripe_refunds as (

    select * from {{ ref('stg_stripe__refunds') }}

),

stripe_charges as (

    select * from {{ ref('stg_stripe__charges') }}

),

shopify_refund_amounts as (

    select
        shopify_refund_lines.tenant_id,
        shopify_refund_lines.refund_id,
        sum(shopify_refund_lines.quantity) as refunded_quantity,
        sum(shopify_refund_lines.subtotal_amount) as refunded_revenue,
        -- restocked goods go back on the shelf: their cost leaves the cost of goods sold
        coalesce(
            sum(shopify_refund_lines.quantity * order_lines.unit_cost)
                filter (where shopify_refund_lines.is_restocked),
            0
        ) as restocked_cost
    from shopify_refund_lines
    left join order_lines
        on
            shopify_refund_lines.tenant_id = order_lines.tenant_id
            and order_lines.source_system = 'shopify'
            and shopify_refund_lines.order_line_id::text = order_lines.order_line_id
    group by 1, 2

),

shopify as (

    select
        shopify_refunds.tenant_id,
        'shopify' as source_system,
        shopify_refunds.refund_id::text as refund_id,
        shopify_refunds.order_id::text as order_id,
        shopify_refunds.customer_id::text as customer_id,
        coalesce(shopify_refunds.currency, tenants.currency) as currency,
        shopify_refunds.gateway as refund_method,
        coalesce(shopify_refund_amounts.refunded_quantity, 0) as refunded_quantity,
        shopify_refunds.refunded_amount,
        coalesce(shopify_refund_amounts.refunded_revenue, 0) as refunded_revenue,
        coalesce(shopify_refund_amounts.restocked_cost, 0) as restocked_cost,
        shopify_refunds.is_restocked,
        shopify_refunds.processed_at as refunded_at,
        tenants.timezone,
        shopify_refunds._keel_cursor_at
    from shopify_refunds
    inner join tenants
        on
            shopify_refunds.tenant_id = tenants.tenant_id
            and tenants.revenue_model = 'shopify_orders'
    left join shopify_refund_amounts
        on
            shopify_refunds.tenant_id = shopify_refund_amounts.tenant_id
            and shopify_refunds.refund_id = shopify_refund_amounts.refund_id
    where not shopify_refunds.is_test_order and not shopify_refunds.is_cancelled_order

),

-- A Stripe refund returns the charge's revenue first and its tip last: the revenue part of a
-- refund is what it adds to the charge's refunded total up to the charge's revenue (the amount
-- captured less the tip).
stripe_refunds_ordered as (

    select
        stripe_refunds.tenant_id,
        stripe_refunds.refund_id,
        -- an appointment's order is its charge; a subscription's order is the invoice charged
        coalesce(stripe_charges.invoice_id, stripe_charges.charge_id) as order_id,
        stripe_charges.customer_id,
        coalesce(stripe_refunds.currency, stripe_charges.currency, tenants.currency) as currency,
        stripe_charges.captured_amount - coalesce(stripe_charges.tip_amount, 0) as charge_revenue,
        stripe_refunds.amount,
        stripe_refunds.created_at,
        tenants.timezone,
        stripe_refunds._keel_cursor_at,
        sum(stripe_refunds.amount) over (
            partition by stripe_refunds.tenant_id, stripe_refunds.charge_id
            order by stripe_refunds.created_at, stripe_refunds.refund_id
            rows between unbounded preceding and current row
        ) as refunded_so_far
    from stripe_refunds
    inner join stripe_charges
        on
            stripe_refunds.tenant_id = stripe_charges.tenant_id
            and stripe_refunds.charge_id = stripe_charges.charge_id
    inner join tenants
        on
            stripe_refunds.tenant_id = tenants.tenant_id
            and (
                (tenants.revenue_model = 'stripe_charges' and stripe_charges.invoice_id is null)
                or (tenants.revenue_model = 'stripe_subscriptions' and stripe_charges.invoice_id is not null)
            )
    where stripe_refunds.is_successful and stripe_charges.is_successful

),

stripe as (

    select
        tenant_id,
        'stripe' as source_system,
        refund_id,
        order_id,
        customer_id,
        currency,
        'card' as refund_method,
        case when amount >= charge_revenue then 1 else 0 end as refunded_quantity,
        amount as refunded_amount,
        least(refunded_so_far, charge_revenue) - least(refunded_so_far - amount, charge_revenue)
            as refunded_revenue,
        0 as restocked_cost,
        false as is_restocked,
        created_at as refunded_at,
        timezone,
        _keel_cursor_at
    from stripe_refunds_ordered

),

erpnext_invoices as (

    select * from {{ ref('stg_erpnext__sales_invoices') }}

),

erpnext_invoice_items as (

    select * from {{ ref('stg_erpnext__sales_invoice_items') }}

),

erpnext_return_costs as (

    select
        tenant_id,
        invoice_id,
        -sum(quantity * coalesce(incoming_rate, 0)) as returned_cost
    from erpnext_invoice_items
    group by 1, 2

),

-- An ERPNext refund is a submitted return invoice (credit note) against an order: the money given
-- back is its grand total, the revenue taken back its net total (both negative on the document);
-- goods go back on the shelf when the return updates stock.
erpnext as (

    select
        erpnext_invoices.tenant_id,
        'erpnext' as source_system,
        erpnext_invoices.invoice_id as refund_id,
        erpnext_invoices.return_against_id as order_id,
        erpnext_invoices.customer_id,
        coalesce(erpnext_invoices.currency, tenants.currency) as currency,
        case when erpnext_invoices.is_pos then 'pos' else 'credit_note' end as refund_method,
        -erpnext_invoices.total_quantity as refunded_quantity,
        -erpnext_invoices.grand_total as refunded_amount,
        -erpnext_invoices.net_total as refunded_revenue,
        case when erpnext_invoices.updates_stock then coalesce(erpnext_return_costs.returned_cost, 0) else 0 end
            as restocked_cost,
        erpnext_invoices.updates_stock as is_restocked,
        erpnext_invoices.posted_local at time zone tenants.timezone as refunded_at,
        tenants.timezone,
        erpnext_invoices._keel_cursor_at
    from erpnext_invoices
    inner join tenants
        on
            erpnext_invoices.tenant_id = tenants.tenant_id
            and tenants.revenue_model = 'erpnext_invoices'
    left join erpnext_return_costs
        on
            erpnext_invoices.tenant_id = erpnext_return_costs.tenant_id
            and erpnext_invoices.invoice_id = erpnext_return_costs.invoice_id
    where erpnext_invoices.is_return and erpnext_invoices.is_submitted and not erpnext_invoices.is_deleted

),

unioned as (

    select * from shopify
    union all
    select * from stripe
    union all
    select * from erpnext

),

final as (

    select
        -- ids
        tenant_id,
        source_system,
        refund_id,
        order_id,
        customer_id,

        -- strings
        currency,
        refund_method,

        -- numerics
        refunded_quantity::numeric(14, 2) as refunded_quantity,
        refunded_amount::numeric(14, 2) as refunded_amount,
        refunded_revenue::numeric(14, 2) as refunded_revenue,
        restocked_cost::numeric(14, 2) as restocked_cost,

        -- booleans
        is_restocked,

        -- dates
        {{ local_date('refunded_at', 'timezone') }} as refund_date,

        -- timestamps
        refunded_at,
        _keel_cursor_at

    from unioned

)

select * from final
