-- Each amount paid against a vendor bill, on the day it was paid: QuickBooks bill payment lines,
-- ERPNext payment entries' references to purchase invoices, and ERPNext purchase invoices paid at once.
with

bill_payment_lines as (

    select * from {{ ref('stg_quickbooks__bill_payment_lines') }}

),

erpnext_payment_references as (

    select * from {{ ref('stg_erpnext__payment_references') }}

),

erpnext_purchase_invoices as (

    select * from {{ ref('stg_erpnext__purchase_invoices') }}

),

final as (

    select
        tenant_id,
        linked_transaction_id as bill_id,
        bill_payment_id || '-' || line_position::text as application_id,
        bill_payment_id,
        applied_amount,
        payment_date
    from bill_payment_lines
    where linked_transaction_type = 'Bill'

    union all

    select
        tenant_id,
        reference_id as bill_id,
        payment_id || '-' || reference_position::text as application_id,
        payment_id as bill_payment_id,
        allocated_amount as applied_amount,
        payment_date
    from erpnext_payment_references
    where reference_doctype = 'Purchase Invoice' and is_submitted

    union all

    -- a purchase invoice paid at once (is_paid: a card or cash expense) pays itself on its own date
    select
        tenant_id,
        bill_id,
        bill_id as application_id,
        bill_id as bill_payment_id,
        total_amount as applied_amount,
        bill_date as payment_date
    from erpnext_purchase_invoices
    where is_paid_at_once and is_submitted

)

select * from final
