{#- Post-hook of an incremental mart: rows built from an ERPNext document that was cancelled
    (docstatus 2) or deleted on the site since leave the mart. An incremental run rewrites only the
    rows its model still outputs, and a cancelled invoice or payment entry is no longer output (it is
    not revenue, nor money received), so without this its old row would stay. `id_column`: the
    mart's column holding the document's name (an invoice, or for payments also a payment entry). -#}
{% macro drop_voided_erpnext_documents(id_column) -%}
    delete from {{ this }} as built
    where
        built.source_system = 'erpnext'
        and (
            exists (
                select 1 from {{ ref('stg_erpnext__sales_invoices') }} as invoices
                where
                    invoices.tenant_id = built.tenant_id
                    and invoices.invoice_id = built.{{ id_column }}
                    and (invoices.is_cancelled or invoices.is_deleted)
            )
            or exists (
                select 1 from {{ ref('stg_erpnext__payment_entries') }} as entries
                where
                    entries.tenant_id = built.tenant_id
                    and entries.payment_id = built.{{ id_column }}
                    and entries.docstatus = 2
            )
        )
{%- endmacro %}
