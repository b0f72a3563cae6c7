-- Every order's lines in one shape: what was sold, at what price and unit cost. Salons sell one
-- service per appointment, software companies one plan per invoice line, B2B firms invoice items.
with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

-- not materialized: each branch joins only its own kind of orders, and filters on the lines reach
-- the raw tables
orders as not materialized (

    select * from {{ ref('int_orders_unioned') }}

),

shopify_lines as (

    select * from {{ ref('stg_shopify__order_lines') }}

),

shopify_variants as (

    select * from {{ ref('int_shopify_variants_costed') }}

),

stripe_charges as (

    select * from {{ ref('stg_stripe__charges') }}

),

stripe_invoice_lines as (

    select * from {{ ref('stg_stripe__invoice_lines') }}

),

quickbooks_invoice_lines as (

    select * from {{ ref('stg_quickbooks__invoice_lines') }}

),

files_order_lines as (

    select * from {{ ref('stg_files__order_lines') }}

),

files_products as (

    select * from {{ ref('stg_files__products') }}

),

shopify as (

    select
        shopify_lines.tenant_id,
        'shopify' as source_system,
        shopify_lines.order_line_id::text as order_line_id,
        shopify_lines.order_id::text as order_id,
        coalesce(shopify_lines.variant_id, shopify_lines.product_id)::text as product_id,
        shopify_lines.sku,
        shopify_lines.product_title as product_name,
        shopify_lines.line_position,
        shopify_lines.quantity,
        shopify_lines.unit_price,
        shopify_lines.unit_price * shopify_lines.quantity as gross_revenue,
        shopify_lines.discount_amount as discounts,
        shopify_lines.tax_amount as tax,
        shopify_variants.unit_cost,
        shopify_lines.refunded_quantity,
        {{ local_date('shopify_lines.ordered_at', 'tenants.timezone') }} as order_date,
        -- the line's own copy of its order's change time, so filters on it reach the raw scan
        shopify_lines._keel_cursor_at
    from shopify_lines
    -- the same orders as int_orders_unioned counts (read from the lines' own copy of the order
    -- fields, so an incremental filter on the lines reaches the raw scan)
    inner join tenants
        on
            shopify_lines.tenant_id = tenants.tenant_id
            and tenants.revenue_model = 'shopify_orders'
    left join shopify_variants
        on
            shopify_lines.tenant_id = shopify_variants.tenant_id
            and shopify_lines.variant_id = shopify_variants.variant_id
    where not shopify_lines.is_test_order and not shopify_lines.is_cancelled_order

),

stripe_appointments as (

    select
        orders.tenant_id,
        'stripe' as source_system,
        orders.order_id as order_line_id,
        orders.order_id,
        coalesce(stripe_charges.service_code, 'service') as product_id,
        stripe_charges.service_code as sku,
        coalesce(stripe_charges.service_name, stripe_charges.description) as product_name,
        1 as line_position,
        1 as quantity,
        orders.gross_revenue as unit_price,
        orders.gross_revenue,
        orders.discounts,
        orders.tax,
        null::numeric(14, 2) as unit_cost,
        case when stripe_charges.is_fully_refunded then 1 else 0 end as refunded_quantity,
        orders.order_date,
        orders._keel_cursor_at
    from orders
    inner join stripe_charges
        on
            orders.tenant_id = stripe_charges.tenant_id
            and orders.order_id = stripe_charges.charge_id
    where orders.order_kind = 'appointment'

),

stripe_subscriptions as (

    select
        stripe_invoice_lines.tenant_id,
        'stripe' as source_system,
        stripe_invoice_lines.invoice_line_id as order_line_id,
        orders.order_id,
        coalesce(stripe_invoice_lines.price_id, 'subscription') as product_id,
        stripe_invoice_lines.price_lookup_key as sku,
        coalesce(stripe_invoice_lines.price_nickname, stripe_invoice_lines.description) as product_name,
        stripe_invoice_lines.line_position,
        stripe_invoice_lines.quantity,
        (stripe_invoice_lines.amount / nullif(stripe_invoice_lines.quantity, 0))::numeric(14, 2)
            as unit_price,
        stripe_invoice_lines.amount as gross_revenue,
        0::numeric(14, 2) as discounts,
        0::numeric(14, 2) as tax,
        null::numeric(14, 2) as unit_cost,
        0 as refunded_quantity,
        orders.order_date,
        stripe_invoice_lines._keel_cursor_at
    from stripe_invoice_lines
    inner join orders
        on
            stripe_invoice_lines.tenant_id = orders.tenant_id
            and orders.order_kind = 'subscription_invoice'
            and stripe_invoice_lines.invoice_id = orders.order_id

),

quickbooks as (

    select
        quickbooks_invoice_lines.tenant_id,
        'quickbooks' as source_system,
        orders.order_id || '-' || coalesce(quickbooks_invoice_lines.line_id, quickbooks_invoice_lines.line_position::text)
            as order_line_id,
        orders.order_id,
        coalesce(quickbooks_invoice_lines.item_id, 'item') as product_id,
        quickbooks_invoice_lines.item_id as sku,
        coalesce(quickbooks_invoice_lines.item_name, quickbooks_invoice_lines.description) as product_name,
        quickbooks_invoice_lines.line_position,
        coalesce(quickbooks_invoice_lines.quantity, 1) as quantity,
        coalesce(
            quickbooks_invoice_lines.unit_price,
            (quickbooks_invoice_lines.amount / nullif(coalesce(quickbooks_invoice_lines.quantity, 1), 0))
        ) as unit_price,
        quickbooks_invoice_lines.amount as gross_revenue,
        0::numeric(14, 2) as discounts,
        0::numeric(14, 2) as tax,
        null::numeric(14, 2) as unit_cost,
        0 as refunded_quantity,
        orders.order_date,
        quickbooks_invoice_lines._keel_cursor_at
    from quickbooks_invoice_lines
    inner join orders
        on
            quickbooks_invoice_lines.tenant_id = orders.tenant_id
            and orders.order_kind = 'invoice'
            and quickbooks_invoice_lines.invoice_id = orders.order_id
    where quickbooks_invoice_lines.detail_type = 'SalesItemLineDetail'

),

erpnext_invoices as (

    select * from {{ ref('stg_erpnext__sales_invoices') }}

),

erpnext_invoice_items as (

    select * from {{ ref('stg_erpnext__sales_invoice_items') }}

),

-- quantities returned per invoice and item (submitted return invoices against it)
erpnext_returned as (

    select
        erpnext_invoices.tenant_id,
        erpnext_invoices.return_against_id as invoice_id,
        erpnext_invoice_items.item_code,
        -sum(erpnext_invoice_items.quantity) as returned_quantity
    from erpnext_invoices
    inner join erpnext_invoice_items
        on
            erpnext_invoices.tenant_id = erpnext_invoice_items.tenant_id
            and erpnext_invoices.invoice_id = erpnext_invoice_items.invoice_id
    where erpnext_invoices.is_return and erpnext_invoices.is_submitted and not erpnext_invoices.is_deleted
    group by 1, 2, 3

),

-- An ERPNext invoice's items at their price-list rate; the invoice's own discount on the net total is
-- shared among its items by amount. The unit cost is the valuation rate when the item left stock.
erpnext as (

    select
        erpnext_invoice_items.tenant_id,
        'erpnext' as source_system,
        orders.order_id || '-' || erpnext_invoice_items.line_position::text as order_line_id,
        orders.order_id,
        coalesce(erpnext_invoice_items.item_code, erpnext_invoice_items.item_name) as product_id,
        erpnext_invoice_items.item_code as sku,
        erpnext_invoice_items.item_name as product_name,
        erpnext_invoice_items.line_position,
        erpnext_invoice_items.quantity,
        erpnext_invoice_items.list_rate as unit_price,
        erpnext_invoice_items.list_rate * erpnext_invoice_items.quantity as gross_revenue,
        erpnext_invoice_items.list_rate * erpnext_invoice_items.quantity - erpnext_invoice_items.amount
        + coalesce(
            erpnext_invoices.discount_amount * erpnext_invoice_items.amount / nullif(erpnext_invoices.items_amount, 0),
            0
        ) as discounts,
        0::numeric(14, 2) as tax,
        erpnext_invoice_items.incoming_rate as unit_cost,
        coalesce(erpnext_returned.returned_quantity, 0) as refunded_quantity,
        orders.order_date,
        erpnext_invoice_items._keel_cursor_at
    from erpnext_invoice_items
    inner join orders
        on
            erpnext_invoice_items.tenant_id = orders.tenant_id
            and orders.order_kind = 'sales_invoice'
            and erpnext_invoice_items.invoice_id = orders.order_id
    inner join erpnext_invoices
        on
            erpnext_invoice_items.tenant_id = erpnext_invoices.tenant_id
            and erpnext_invoice_items.invoice_id = erpnext_invoices.invoice_id
    left join erpnext_returned
        on
            erpnext_invoice_items.tenant_id = erpnext_returned.tenant_id
            and erpnext_invoice_items.invoice_id = erpnext_returned.invoice_id
            and erpnext_invoice_items.item_code = erpnext_returned.item_code

),

-- Lines of orders from uploaded files; a line without its own unit cost takes its product's from an
-- uploaded product list. The line's price is before its discount.
files as (

    select
        files_order_lines.tenant_id,
        'files' as source_system,
        files_order_lines.order_id || '-' || files_order_lines.line_number as order_line_id,
        orders.order_id,
        coalesce(files_order_lines.product_id, files_order_lines.product_name) as product_id,
        files_order_lines.product_id as sku,
        coalesce(files_order_lines.product_name, files_products.product_name) as product_name,
        case
            when files_order_lines.line_number ~ '^[0-9]{1,9}$' then files_order_lines.line_number::integer
        end as line_position,
        files_order_lines.quantity,
        files_order_lines.unit_price,
        files_order_lines.unit_price * files_order_lines.quantity as gross_revenue,
        coalesce(files_order_lines.discounts, 0) as discounts,
        coalesce(files_order_lines.tax, 0) as tax,
        coalesce(files_order_lines.unit_cost, files_products.unit_cost) as unit_cost,
        0 as refunded_quantity,
        orders.order_date,
        files_order_lines._keel_cursor_at
    from files_order_lines
    inner join orders
        on
            files_order_lines.tenant_id = orders.tenant_id
            and orders.source_system = 'files'
            and files_order_lines.order_id = orders.order_id
    left join files_products
        on
            files_order_lines.tenant_id = files_products.tenant_id
            and files_order_lines.product_id = files_products.product_id

),

unioned as (

    select * from shopify
    union all
    select * from stripe_appointments
    union all
    select * from stripe_subscriptions
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
        order_line_id,
        order_id,
        product_id,

        -- strings
        sku,
        product_name,

        -- numerics
        line_position::integer as line_position,
        quantity::numeric(14, 2) as quantity,
        unit_price::numeric(14, 2) as unit_price,
        gross_revenue::numeric(14, 2) as gross_revenue,
        discounts::numeric(14, 2) as discounts,
        (gross_revenue - discounts)::numeric(14, 2) as net_sales,
        tax::numeric(14, 2) as tax,
        unit_cost::numeric(14, 2) as unit_cost,
        (quantity * unit_cost)::numeric(14, 2) as cost_of_goods,
        refunded_quantity::numeric(14, 2) as refunded_quantity,

        -- booleans
        unit_cost is not null as has_unit_cost,

        -- dates
        order_date,

        -- timestamps
        _keel_cursor_at

    from unioned

)

select * from final
