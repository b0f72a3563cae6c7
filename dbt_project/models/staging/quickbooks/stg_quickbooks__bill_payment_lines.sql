-- One row per amount a bill payment applies to a bill (bill_payments.Line[].LinkedTxn unnested).
{{ quickbooks_applied_payment_lines('bill_payments', 'bill_payment_id') }}
