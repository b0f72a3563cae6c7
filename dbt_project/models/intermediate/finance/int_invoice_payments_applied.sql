-- Each amount of money applied to a receivable invoice, on the day it was received: QuickBooks
-- payment lines linked to invoices, and Stripe invoices' payments.
with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

quickbooks_payment_lines as (

    select * from {{ ref('stg_quickbooks__payment_lines') }}

),

stripe_invoices as (

    select * from {{ ref('stg_stripe__invoices') }}

),

files_payments as (

    select * from {{ ref('stg_files__payments') }}

),

erpnext_payment_references as (

    select * from {{ ref('stg_erpnext__payment_references') }}

),

quickbooks as (

    select
        tenant_id,
        'quickbooks' as source_system,
        linked_transaction_id as invoice_id,
        payment_id || '-' || line_position::text as application_id,
        payment_id,
        applied_amount,
        payment_date
    from quickbooks_payment_lines
    where linked_transaction_type = 'Invoice'

),

stripe as (

    select
        stripe_invoices.tenant_id,
        'stripe' as source_system,
        stripe_invoices.invoice_id,
        stripe_invoices.invoice_id as application_id,
        stripe_invoices.charge_id as payment_id,
        stripe_invoices.amount_paid as applied_amount,
        {{ local_date('stripe_invoices.paid_at', 'tenants.timezone') }} as payment_date
    from stripe_invoices
    inner join tenants on stripe_invoices.tenant_id = tenants.tenant_id
    where stripe_invoices.amount_paid > 0 and stripe_invoices.paid_at is not null

),

-- a payment in an uploaded file that names its invoice pays that invoice
files as (

    select
        tenant_id,
        'files' as source_system,
        invoice_id,
        payment_id as application_id,
        payment_id,
        amount as applied_amount,
        payment_date
    from files_payments
    where invoice_id is not null

),

erpnext as (

    select
        tenant_id,
        'erpnext' as source_system,
        reference_id as invoice_id,
        payment_id || '-' || reference_position::text as application_id,
        payment_id,
        allocated_amount as applied_amount,
        payment_date
    from erpnext_payment_references
    where reference_doctype = 'Sales Invoice' and is_submitted

),

final as (

    select * from quickbooks
    union all
    select * from erpnext
    union all
    select * from stripe
    union all
    select * from files

)

select * from final
