-- Money received from customers, one row per payment attempt: Shopify checkouts (an order is paid
-- when it is placed, so its total is the payment), Stripe charges (failed attempts included, flagged)
-- and QuickBooks customer payments.
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

quickbooks_payments as (

    select * from {{ ref('stg_quickbooks__payments') }}

),

files_payments as (

    select * from {{ ref('stg_files__payments') }}

),

erpnext_invoices as (

    select * from {{ ref('stg_erpnext__sales_invoices') }}

),

erpnext_payment_entries as (

    select * from {{ ref('stg_erpnext__payment_entries') }}

),

unioned as (

    select
        tenant_id,
        'shopify' as source_system,
        order_id::text as payment_id,
        'checkout' as payment_kind,
        order_id::text as order_id,
        null::text as invoice_id,
        customer_id::text as customer_id,
        coalesce(payment_gateway, 'unknown') as payment_method,
        currency,
        total_amount as amount,
        true as is_successful,
        processed_at as paid_at,
        null::date as paid_on,
        _keel_cursor_at
    from shopify_orders
    where not is_test and not is_cancelled

    union all

    select
        tenant_id,
        'stripe' as source_system,
        charge_id as payment_id,
        'card_charge' as payment_kind,
        case when invoice_id is null then charge_id end as order_id,
        invoice_id,
        customer_id,
        coalesce(card_brand, payment_method_type, 'card') as payment_method,
        currency,
        case when is_successful then captured_amount else amount end as amount,
        is_successful,
        created_at as paid_at,
        null::date as paid_on,
        _keel_cursor_at
    from stripe_charges

    union all

    select
        tenant_id,
        'quickbooks' as source_system,
        payment_id,
        'invoice_payment' as payment_kind,
        null::text as order_id,
        null::text as invoice_id,
        customer_id,
        coalesce(payment_method, 'unknown') as payment_method,
        currency,
        total_amount as amount,
        true as is_successful,
        created_at as paid_at,
        payment_date as paid_on,
        _keel_cursor_at
    from quickbooks_payments

    union all

    -- an ERPNext point-of-sale invoice is paid at the till when it is made (its payments rows)
    select
        erpnext_invoices.tenant_id,
        'erpnext' as source_system,
        erpnext_invoices.invoice_id as payment_id,
        'pos_payment' as payment_kind,
        erpnext_invoices.invoice_id as order_id,
        null::text as invoice_id,
        erpnext_invoices.customer_id,
        'pos' as payment_method,
        erpnext_invoices.currency,
        erpnext_invoices.paid_amount as amount,
        true as is_successful,
        null::timestamptz as paid_at,
        erpnext_invoices.posting_date as paid_on,
        erpnext_invoices._keel_cursor_at
    from erpnext_invoices
    where
        erpnext_invoices.is_pos and not erpnext_invoices.is_return
        and erpnext_invoices.is_submitted and not erpnext_invoices.is_deleted

    union all

    -- money received from customers through ERPNext payment entries, dated by their posting date
    select
        tenant_id,
        'erpnext' as source_system,
        payment_id,
        'invoice_payment' as payment_kind,
        null::text as order_id,
        null::text as invoice_id,
        party_id as customer_id,
        coalesce(payment_method, 'unknown') as payment_method,
        currency,
        amount,
        true as is_successful,
        null::timestamptz as paid_at,
        payment_date as paid_on,
        _keel_cursor_at
    from erpnext_payment_entries
    where payment_type = 'Receive' and is_submitted

    union all

    -- payments listed in an owner's uploaded file are dated by the file
    select
        tenant_id,
        'files' as source_system,
        payment_id,
        'invoice_payment' as payment_kind,
        null::text as order_id,
        invoice_id,
        customer_id,
        coalesce(payment_method, 'unknown') as payment_method,
        currency,
        amount,
        true as is_successful,
        payment_date::timestamp at time zone 'UTC' as paid_at,
        payment_date as paid_on,
        _keel_cursor_at
    from files_payments

),

final as (

    select
        -- ids
        unioned.tenant_id,
        unioned.source_system,
        unioned.payment_id,
        unioned.order_id,
        unioned.invoice_id,
        unioned.customer_id,

        -- strings
        unioned.payment_kind,
        unioned.payment_method,
        coalesce(unioned.currency, tenants.currency) as currency,

        -- numerics
        unioned.amount::numeric(14, 2) as amount,

        -- booleans
        unioned.is_successful,

        -- dates (QuickBooks dates its payments itself; other sources by the local day of the instant)
        coalesce(unioned.paid_on, {{ local_date('unioned.paid_at', 'tenants.timezone') }}) as payment_date,

        -- timestamps
        unioned.paid_at,
        unioned._keel_cursor_at

    from unioned
    inner join tenants on unioned.tenant_id = tenants.tenant_id

)

select * from final
