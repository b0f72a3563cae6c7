-- One row per ERPNext sales invoice (returns included: is_return, negative amounts). Shipping is the
-- "Actual" rows of its taxes; the rest of the taxes is sales tax. A document deleted on the site is
-- kept and marked.
with

source as (

    select * from {{ keel_source('erpnext', 'sales_invoices') }}

),

deleted as (

    select * from {{ ref('stg_erpnext__deleted_documents') }}

),

final as (

    select
        -- ids
        source.tenant_id::uuid as tenant_id,
        source.name as invoice_id,
        source.customer as customer_id,
        source.return_against as return_against_id,

        -- strings
        source.customer_name,
        upper(source.currency) as currency,
        source.coupon_code as discount_code,
        source.status as invoice_status,

        -- numerics
        source.docstatus,
        source.total_qty::numeric as total_quantity,
        {{ to_money('source.total') }} as items_amount,
        {{ to_money('source.discount_amount') }} as discount_amount,
        {{ to_money('source.net_total') }} as net_total,
        {{ to_money("(select coalesce(sum((tax ->> 'tax_amount')::numeric), 0) from jsonb_array_elements(coalesce(source.taxes, '[]')::jsonb) as tax where tax ->> 'charge_type' = 'Actual')") }}
            as shipping_amount,
        {{ to_money('source.total_taxes_and_charges') }} as taxes_and_charges,
        {{ to_money('source.grand_total') }} as grand_total,
        {{ to_money('source.paid_amount') }} as paid_amount,
        {{ to_money('source.outstanding_amount') }} as outstanding_amount,

        -- booleans
        source.docstatus = 1 as is_submitted,
        source.docstatus = 2 as is_cancelled,
        coalesce(source.is_pos, 0) = 1 as is_pos,
        coalesce(source.is_return, 0) = 1 as is_return,
        coalesce(source.update_stock, 0) = 1 as updates_stock,
        exists (
            select 1 from deleted
            where
                deleted.tenant_id = source.tenant_id::uuid
                and deleted.doctype = 'Sales Invoice'
                and deleted.document_name = source.name
        ) as is_deleted,

        -- dates (the site's, which are the business's own days)
        source.posting_date::date as posting_date,
        coalesce(source.due_date, source.posting_date)::date as due_date,

        -- timestamps (local wall-clock time; intermediate models place it in the tenant's zone)
        (source.posting_date || ' ' || coalesce(source.posting_time, '00:00:00'))::timestamp as posted_local,
        source._keel_cursor_at

    from source

)

select * from final
