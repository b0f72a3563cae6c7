-- One row per amount a customer payment applies to an invoice (payments.Line[].LinkedTxn unnested).
{{ quickbooks_applied_payment_lines('payments', 'payment_id') }}
