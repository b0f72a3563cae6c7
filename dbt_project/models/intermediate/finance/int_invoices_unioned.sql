-- Receivable invoices of every source in one shape (QuickBooks invoices of B2B firms, Stripe
-- subscription invoices), before their payments are summed up.
with

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

quickbooks_invoices as (

    select * from {{ ref('stg_quickbooks__invoices') }}

),

stripe_invoices as (

    select * from {{ ref('stg_stripe__invoices') }}

),

files_invoices as (

    select * from {{ ref('stg_files__invoices') }}

),

quickbooks as (

    select
        quickbooks_invoices.tenant_id,
        'quickbooks' as source_system,
        quickbooks_invoices.invoice_id,
        quickbooks_invoices.customer_id,
        quickbooks_invoices.invoice_number,
        quickbooks_invoices.payment_terms,
        coalesce(quickbooks_invoices.currency, tenants.currency) as currency,
        quickbooks_invoices.total_amount,
        quickbooks_invoices.balance_amount,
        quickbooks_invoices.invoice_date,
        coalesce(quickbooks_invoices.due_date, quickbooks_invoices.invoice_date) as due_date,
        quickbooks_invoices.created_at,
        quickbooks_invoices._keel_cursor_at
    from quickbooks_invoices
    inner join tenants on quickbooks_invoices.tenant_id = tenants.tenant_id

),

stripe as (

    select
        stripe_invoices.tenant_id,
        'stripe' as source_system,
        stripe_invoices.invoice_id,
        stripe_invoices.customer_id,
        stripe_invoices.invoice_number,
        'charge_automatically' as payment_terms,
        coalesce(stripe_invoices.currency, tenants.currency) as currency,
        stripe_invoices.amount_due as total_amount,
        stripe_invoices.amount_remaining as balance_amount,
        {{ local_date('stripe_invoices.created_at', 'tenants.timezone') }} as invoice_date,
        coalesce(
            {{ local_date('stripe_invoices.due_at', 'tenants.timezone') }},
            {{ local_date('stripe_invoices.created_at', 'tenants.timezone') }}
        ) as due_date,
        stripe_invoices.created_at,
        stripe_invoices._keel_cursor_at
    from stripe_invoices
    inner join tenants on stripe_invoices.tenant_id = tenants.tenant_id
    -- drafts are not sent and voided invoices were cancelled: neither is owed
    where stripe_invoices.invoice_status in ('open', 'paid', 'uncollectible')

),

erpnext_invoices as (

    select * from {{ ref('stg_erpnext__sales_invoices') }}

),

-- an ERPNext sales invoice that is not paid at the till (not POS) is owed until payment entries settle it
erpnext as (

    select
        erpnext_invoices.tenant_id,
        'erpnext' as source_system,
        erpnext_invoices.invoice_id,
        erpnext_invoices.customer_id,
        erpnext_invoices.invoice_id as invoice_number,
        null::text as payment_terms,
        coalesce(erpnext_invoices.currency, tenants.currency) as currency,
        erpnext_invoices.grand_total as total_amount,
        erpnext_invoices.outstanding_amount as balance_amount,
        erpnext_invoices.posting_date as invoice_date,
        erpnext_invoices.due_date,
        erpnext_invoices.posted_local at time zone tenants.timezone as created_at,
        erpnext_invoices._keel_cursor_at
    from erpnext_invoices
    inner join tenants on erpnext_invoices.tenant_id = tenants.tenant_id
    where
        not erpnext_invoices.is_pos and not erpnext_invoices.is_return
        and erpnext_invoices.is_submitted and not erpnext_invoices.is_deleted

),

files as (

    select
        files_invoices.tenant_id,
        'files' as source_system,
        files_invoices.invoice_id,
        files_invoices.customer_id,
        files_invoices.invoice_id as invoice_number,
        null::text as payment_terms,
        coalesce(files_invoices.currency, tenants.currency) as currency,
        files_invoices.total as total_amount,
        coalesce(files_invoices.balance, files_invoices.total) as balance_amount,
        files_invoices.invoice_date,
        coalesce(files_invoices.due_date, files_invoices.invoice_date) as due_date,
        files_invoices.invoice_date::timestamp at time zone tenants.timezone as created_at,
        files_invoices._keel_cursor_at
    from files_invoices
    inner join tenants on files_invoices.tenant_id = tenants.tenant_id

),

final as (

    select * from quickbooks
    union all
    select * from stripe
    union all
    select * from erpnext
    union all
    select * from files

)

select * from final
