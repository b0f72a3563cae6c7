-- One row per ERPNext purchase invoice (a bill; debit notes have is_return and negative amounts).
-- The expense account is the one of its largest item.
with

source as (

    select * from {{ keel_source('erpnext', 'purchase_invoices') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        name as bill_id,
        supplier as supplier_id,

        -- strings
        bill_no as bill_number,
        coalesce(supplier_name, supplier) as supplier_name,
        upper(currency) as currency,
        (
            select item ->> 'expense_account'
            from jsonb_array_elements(coalesce(items, '[]')::jsonb) as item
            order by abs((item ->> 'amount')::numeric) desc
            limit 1
        ) as expense_account,

        -- numerics
        docstatus,
        {{ to_money('grand_total') }} as total_amount,
        {{ to_money('outstanding_amount') }} as outstanding_amount,

        -- booleans
        docstatus = 1 as is_submitted,
        coalesce(is_paid, 0) = 1 as is_paid_at_once,
        coalesce(is_return, 0) = 1 as is_return,

        -- dates
        posting_date::date as bill_date,
        coalesce(due_date, posting_date)::date as due_date,

        -- timestamps
        creation::timestamp as created_local,
        _keel_cursor_at

    from source

)

select * from final
