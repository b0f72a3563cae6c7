-- Every movement of money in or out of the business, one row each: customer payments received,
-- refunds paid back, bills paid, and expenses paid at once (card, cash, payroll runs).
with

payments as (

    select * from {{ ref('payments') }}

),

refunds as (

    select * from {{ ref('refunds') }}

),

bill_payments as (

    select * from {{ ref('stg_quickbooks__bill_payments') }}

),

purchases as (

    select * from {{ ref('stg_quickbooks__purchases') }}

),

files_bills as (

    select * from {{ ref('stg_files__bills') }}

),

erpnext_payment_entries as (

    select * from {{ ref('stg_erpnext__payment_entries') }}

),

erpnext_purchase_invoices as (

    select * from {{ ref('stg_erpnext__purchase_invoices') }}

),

final as (

    select
        tenant_id,
        'payment_received' as movement_kind,
        source_system || ':' || payment_id as movement_id,
        payment_date as movement_date,
        amount as cash_in,
        0::numeric(14, 2) as cash_out
    from payments
    where is_successful

    union all

    select
        tenant_id,
        'refund_paid' as movement_kind,
        source_system || ':' || refund_id as movement_id,
        refund_date as movement_date,
        0::numeric(14, 2) as cash_in,
        refunded_amount as cash_out
    from refunds

    union all

    select
        tenant_id,
        'bill_paid' as movement_kind,
        'quickbooks:' || bill_payment_id as movement_id,
        payment_date as movement_date,
        0::numeric(14, 2) as cash_in,
        total_amount as cash_out
    from bill_payments

    union all

    -- a credit (a vendor refunding a card purchase) is money coming back: it lowers cash out
    select
        tenant_id,
        'expense_paid' as movement_kind,
        'quickbooks:' || purchase_id as movement_id,
        purchase_date as movement_date,
        0::numeric(14, 2) as cash_in,
        case when is_credit then -total_amount else total_amount end as cash_out
    from purchases

    union all

    -- ERPNext: money paid out to suppliers by payment entries, and expenses paid at once (a debit
    -- note paid at once is money coming back)
    select
        tenant_id,
        'bill_paid' as movement_kind,
        'erpnext:' || payment_id as movement_id,
        payment_date as movement_date,
        0::numeric(14, 2) as cash_in,
        amount as cash_out
    from erpnext_payment_entries
    where payment_type = 'Pay' and party_type = 'Supplier' and is_submitted

    union all

    select
        tenant_id,
        'expense_paid' as movement_kind,
        'erpnext:' || bill_id as movement_id,
        bill_date as movement_date,
        0::numeric(14, 2) as cash_in,
        total_amount as cash_out
    from erpnext_purchase_invoices
    where is_paid_at_once and is_submitted

    union all

    -- a bill or expense in an uploaded file is paid on the day the file says it was
    select
        tenant_id,
        'bill_paid' as movement_kind,
        'files:' || bill_id as movement_id,
        paid_date as movement_date,
        0::numeric(14, 2) as cash_in,
        amount as cash_out
    from files_bills
    where paid_date is not null

)

select * from final
