-- One row per vendor bill (payables) with its due date, what has been paid and when it was paid in
-- full, and the expense account it is booked to: QuickBooks bills, ERPNext purchase invoices
-- (submitted ones; cancelled and deleted ones are not owed), and bills or expenses from an owner's
-- uploaded file (paid in full on the day the file says, or open).
with

bills as (

    select * from {{ ref('stg_quickbooks__bills') }}

),

bill_lines as (

    select * from {{ ref('stg_quickbooks__bill_lines') }}

),

applications as (

    select * from {{ ref('int_bill_payments_applied') }}

),

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

files_bills as (

    select * from {{ ref('stg_files__bills') }}

),

erpnext_purchase_invoices as (

    select * from {{ ref('stg_erpnext__purchase_invoices') }}

),

main_accounts as (

    select distinct on (tenant_id, bill_id)
        tenant_id,
        bill_id,
        account_name
    from bill_lines
    order by tenant_id, bill_id, amount desc, line_position

),

applications_running as (

    select
        tenant_id,
        bill_id,
        payment_date,
        applied_amount,
        sum(applied_amount) over (
            partition by tenant_id, bill_id
            order by payment_date, application_id
            rows between unbounded preceding and current row
        ) as paid_so_far
    from applications

),

payment_totals as (

    select
        applications_running.tenant_id,
        applications_running.bill_id,
        count(*) as payments_count,
        sum(applications_running.applied_amount) as amount_paid,
        min(applications_running.payment_date) as first_payment_date,
        min(applications_running.payment_date) filter (
            where applications_running.paid_so_far >= bills.total_amount
        ) as paid_date
    from applications_running
    inner join bills
        on
            applications_running.tenant_id = bills.tenant_id
            and applications_running.bill_id = bills.bill_id
    group by 1, 2

),

quickbooks as (

    select
        -- ids
        bills.tenant_id,
        bills.bill_id,
        bills.vendor_id,

        -- strings
        bills.bill_number,
        bills.vendor_name,
        main_accounts.account_name as expense_account,
        bills.payment_terms,
        coalesce(bills.currency, tenants.currency) as currency,
        case
            when bills.total_amount <= 0 or payment_totals.paid_date is not null then 'paid'
            when coalesce(payment_totals.amount_paid, 0) > 0 then 'partially_paid'
            else 'open'
        end as payment_status,

        -- numerics
        bills.total_amount,
        coalesce(payment_totals.amount_paid, 0)::numeric(14, 2) as amount_paid,
        bills.balance_amount,
        coalesce(payment_totals.payments_count, 0)::integer as payments_count,

        -- booleans
        bills.total_amount <= 0 or payment_totals.paid_date is not null as is_paid,
        coalesce(payment_totals.paid_date > bills.due_date, false) as is_paid_late,

        -- dates
        bills.bill_date,
        coalesce(bills.due_date, bills.bill_date) as due_date,
        payment_totals.first_payment_date,
        payment_totals.paid_date,

        -- timestamps
        bills.created_at,
        bills._keel_cursor_at

    from bills
    inner join tenants on bills.tenant_id = tenants.tenant_id
    left join main_accounts
        on
            bills.tenant_id = main_accounts.tenant_id
            and bills.bill_id = main_accounts.bill_id
    left join payment_totals
        on
            bills.tenant_id = payment_totals.tenant_id
            and bills.bill_id = payment_totals.bill_id

),

erpnext_payment_totals as (

    select
        applications_running.tenant_id,
        applications_running.bill_id,
        count(*) as payments_count,
        sum(applications_running.applied_amount) as amount_paid,
        min(applications_running.payment_date) as first_payment_date,
        min(applications_running.payment_date) filter (
            where applications_running.paid_so_far >= erpnext_purchase_invoices.total_amount
        ) as paid_date
    from applications_running
    inner join erpnext_purchase_invoices
        on
            applications_running.tenant_id = erpnext_purchase_invoices.tenant_id
            and applications_running.bill_id = erpnext_purchase_invoices.bill_id
    group by 1, 2

),

erpnext as (

    select
        -- ids
        erpnext_purchase_invoices.tenant_id,
        erpnext_purchase_invoices.bill_id,
        erpnext_purchase_invoices.supplier_id as vendor_id,

        -- strings
        coalesce(erpnext_purchase_invoices.bill_number, erpnext_purchase_invoices.bill_id) as bill_number,
        erpnext_purchase_invoices.supplier_name as vendor_name,
        erpnext_purchase_invoices.expense_account,
        null::text as payment_terms,
        coalesce(erpnext_purchase_invoices.currency, tenants.currency) as currency,
        case
            when erpnext_purchase_invoices.total_amount <= 0 or erpnext_payment_totals.paid_date is not null
                then 'paid'
            when coalesce(erpnext_payment_totals.amount_paid, 0) > 0 then 'partially_paid'
            else 'open'
        end as payment_status,

        -- numerics
        erpnext_purchase_invoices.total_amount,
        coalesce(erpnext_payment_totals.amount_paid, 0)::numeric(14, 2) as amount_paid,
        erpnext_purchase_invoices.outstanding_amount as balance_amount,
        coalesce(erpnext_payment_totals.payments_count, 0)::integer as payments_count,

        -- booleans
        erpnext_purchase_invoices.total_amount <= 0 or erpnext_payment_totals.paid_date is not null as is_paid,
        coalesce(erpnext_payment_totals.paid_date > erpnext_purchase_invoices.due_date, false) as is_paid_late,

        -- dates
        erpnext_purchase_invoices.bill_date,
        erpnext_purchase_invoices.due_date,
        erpnext_payment_totals.first_payment_date,
        erpnext_payment_totals.paid_date,

        -- timestamps
        erpnext_purchase_invoices.created_local at time zone tenants.timezone as created_at,
        erpnext_purchase_invoices._keel_cursor_at

    from erpnext_purchase_invoices
    inner join tenants on erpnext_purchase_invoices.tenant_id = tenants.tenant_id
    left join erpnext_payment_totals
        on
            erpnext_purchase_invoices.tenant_id = erpnext_payment_totals.tenant_id
            and erpnext_purchase_invoices.bill_id = erpnext_payment_totals.bill_id
    where erpnext_purchase_invoices.is_submitted

),

files as (

    select
        -- ids
        files_bills.tenant_id,
        files_bills.bill_id,
        files_bills.vendor_name as vendor_id,

        -- strings
        files_bills.bill_id as bill_number,
        files_bills.vendor_name,
        files_bills.category as expense_account,
        null::text as payment_terms,
        coalesce(files_bills.currency, tenants.currency) as currency,
        case when files_bills.paid_date is not null or files_bills.amount <= 0 then 'paid' else 'open' end
            as payment_status,

        -- numerics
        files_bills.amount as total_amount,
        (case when files_bills.paid_date is not null then files_bills.amount else 0 end)::numeric(14, 2)
            as amount_paid,
        (case when files_bills.paid_date is null then files_bills.amount else 0 end)::numeric(14, 2)
            as balance_amount,
        (case when files_bills.paid_date is not null then 1 else 0 end)::integer as payments_count,

        -- booleans
        files_bills.paid_date is not null or files_bills.amount <= 0 as is_paid,
        coalesce(files_bills.paid_date > files_bills.due_date, false) as is_paid_late,

        -- dates
        files_bills.bill_date,
        coalesce(files_bills.due_date, files_bills.bill_date) as due_date,
        files_bills.paid_date as first_payment_date,
        files_bills.paid_date,

        -- timestamps
        files_bills.bill_date::timestamp at time zone tenants.timezone as created_at,
        files_bills._keel_cursor_at

    from files_bills
    inner join tenants on files_bills.tenant_id = tenants.tenant_id

),

final as (

    select * from quickbooks
    union all
    select * from erpnext
    union all
    select * from files

)

select * from final
