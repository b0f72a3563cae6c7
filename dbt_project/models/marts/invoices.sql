-- One row per receivable invoice (QuickBooks invoices, Stripe subscription invoices) with its due
-- date, what has been paid and when it was paid in full.
with

invoices as (

    select * from {{ ref('int_invoices_unioned') }}

),

applications as (

    select * from {{ ref('int_invoice_payments_applied') }}

),

applications_running as (

    select
        applications.tenant_id,
        applications.source_system,
        applications.invoice_id,
        applications.payment_date,
        applications.applied_amount,
        sum(applications.applied_amount) over (
            partition by applications.tenant_id, applications.source_system, applications.invoice_id
            order by applications.payment_date, applications.application_id
            rows between unbounded preceding and current row
        ) as paid_so_far
    from applications

),

payment_totals as (

    select
        applications_running.tenant_id,
        applications_running.source_system,
        applications_running.invoice_id,
        count(*) as payments_count,
        sum(applications_running.applied_amount) as amount_paid,
        min(applications_running.payment_date) as first_payment_date,
        min(applications_running.payment_date) filter (
            where applications_running.paid_so_far >= invoices.total_amount
        ) as paid_date
    from applications_running
    inner join invoices
        on
            applications_running.tenant_id = invoices.tenant_id
            and applications_running.source_system = invoices.source_system
            and applications_running.invoice_id = invoices.invoice_id
    group by 1, 2, 3

),

final as (

    select
        -- ids
        invoices.tenant_id,
        invoices.source_system,
        invoices.invoice_id,
        invoices.customer_id,

        -- strings
        invoices.invoice_number,
        invoices.payment_terms,
        invoices.currency,
        case
            when invoices.total_amount <= 0 or payment_totals.paid_date is not null then 'paid'
            when coalesce(payment_totals.amount_paid, 0) > 0 then 'partially_paid'
            else 'open'
        end as payment_status,

        -- numerics
        invoices.total_amount,
        coalesce(payment_totals.amount_paid, 0)::numeric(14, 2) as amount_paid,
        invoices.balance_amount,
        coalesce(payment_totals.payments_count, 0)::integer as payments_count,
        payment_totals.paid_date - invoices.invoice_date as days_to_pay,

        -- booleans
        invoices.total_amount <= 0 or payment_totals.paid_date is not null as is_paid,
        coalesce(payment_totals.paid_date > invoices.due_date, false) as is_paid_late,

        -- dates
        invoices.invoice_date,
        invoices.due_date,
        payment_totals.first_payment_date,
        payment_totals.paid_date,

        -- timestamps
        invoices.created_at,
        invoices._keel_cursor_at

    from invoices
    left join payment_totals
        on
            invoices.tenant_id = payment_totals.tenant_id
            and invoices.source_system = payment_totals.source_system
            and invoices.invoice_id = payment_totals.invoice_id

)

select * from final
