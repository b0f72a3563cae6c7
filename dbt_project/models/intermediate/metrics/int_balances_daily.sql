-- What customers owe (receivables) and what the business owes its vendors (payables) at the end of
-- each day: every invoice or bill issued up to that day less every payment applied to it up to
-- that day. NULL for a tenant that has never issued an invoice (or received a bill).
with

tenant_days as (

    select * from {{ ref('int_tenant_days') }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

invoice_payments as (

    select * from {{ ref('int_invoice_payments_applied') }}

),

bills as (

    select * from {{ ref('bills') }}

),

bill_payments as (

    select * from {{ ref('int_bill_payments_applied') }}

),

receivable_changes as (

    select tenant_id, invoice_date as change_date, total_amount as change
    from invoices

    union all

    -- only payments of invoices in the data: a payment of an older invoice owed nothing Keel knew of
    select invoice_payments.tenant_id, invoice_payments.payment_date, -invoice_payments.applied_amount
    from invoice_payments
    inner join invoices
        on
            invoice_payments.tenant_id = invoices.tenant_id
            and invoice_payments.source_system = invoices.source_system
            and invoice_payments.invoice_id = invoices.invoice_id

),

payable_changes as (

    select tenant_id, bill_date as change_date, total_amount as change
    from bills

    union all

    select bill_payments.tenant_id, bill_payments.payment_date, -bill_payments.applied_amount
    from bill_payments
    inner join bills
        on
            bill_payments.tenant_id = bills.tenant_id
            and bill_payments.bill_id = bills.bill_id

),

tenant_starts as (

    select distinct
        tenant_id,
        first_metric_date
    from tenant_days

),

-- a change dated before the spine (an invoice issued before the first recorded activity) opens the
-- balance on the spine's first day
receivables_by_day as (

    select
        receivable_changes.tenant_id,
        greatest(receivable_changes.change_date, tenant_starts.first_metric_date) as metric_date,
        sum(receivable_changes.change) as change
    from receivable_changes
    inner join tenant_starts on receivable_changes.tenant_id = tenant_starts.tenant_id
    group by 1, 2

),

payables_by_day as (

    select
        payable_changes.tenant_id,
        greatest(payable_changes.change_date, tenant_starts.first_metric_date) as metric_date,
        sum(payable_changes.change) as change
    from payable_changes
    inner join tenant_starts on payable_changes.tenant_id = tenant_starts.tenant_id
    group by 1, 2

),

tenants_with_invoices as (

    select distinct tenant_id from invoices

),

tenants_with_bills as (

    select distinct tenant_id from bills

),

final as (

    select
        tenant_days.tenant_id,
        tenant_days.metric_date,
        case when tenants_with_invoices.tenant_id is not null then
            sum(coalesce(receivables_by_day.change, 0)) over (
                partition by tenant_days.tenant_id order by tenant_days.metric_date
            )
        end::numeric(14, 2) as receivables_outstanding,
        case when tenants_with_bills.tenant_id is not null then
            sum(coalesce(payables_by_day.change, 0)) over (
                partition by tenant_days.tenant_id order by tenant_days.metric_date
            )
        end::numeric(14, 2) as payables_outstanding
    from tenant_days
    left join receivables_by_day
        on
            tenant_days.tenant_id = receivables_by_day.tenant_id
            and tenant_days.metric_date = receivables_by_day.metric_date
    left join payables_by_day
        on
            tenant_days.tenant_id = payables_by_day.tenant_id
            and tenant_days.metric_date = payables_by_day.metric_date
    left join tenants_with_invoices on tenant_days.tenant_id = tenants_with_invoices.tenant_id
    left join tenants_with_bills on tenant_days.tenant_id = tenants_with_bills.tenant_id

)

select * from final
