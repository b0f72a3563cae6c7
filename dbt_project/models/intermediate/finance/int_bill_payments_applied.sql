-- Each amount paid against a vendor bill, on the day it was paid (QuickBooks bill payment lines).
with

bill_payment_lines as (

    select * from {{ ref('stg_quickbooks__bill_payment_lines') }}

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

)

select * from final
