-- Expenses paid at once: card purchases, cash (payroll runs), checks.
with

source as (

    select * from {{ keel_source('quickbooks', 'purchases') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as purchase_id,
        entity_ref::jsonb ->> 'value' as payee_id,
        account_ref::jsonb ->> 'value' as payment_account_id,
        line::jsonb #>> '{0,AccountBasedExpenseLineDetail,AccountRef,value}' as expense_account_id,

        -- strings
        payment_type,
        entity_ref::jsonb ->> 'name' as payee_name,
        entity_ref::jsonb ->> 'type' as payee_type,
        account_ref::jsonb ->> 'name' as payment_account_name,
        line::jsonb #>> '{0,AccountBasedExpenseLineDetail,AccountRef,name}' as expense_account_name,
        private_note as memo,
        upper(currency_ref::jsonb ->> 'value') as currency,

        -- numerics
        {{ to_money('total_amt') }} as total_amount,

        -- booleans
        -- a credit is money coming back (a card refund), not spent
        coalesce(credit, false) as is_credit,

        -- dates
        txn_date::date as purchase_date,

        -- timestamps
        (meta_data::jsonb ->> 'CreateTime')::timestamptz as created_at,
        (meta_data::jsonb ->> 'LastUpdatedTime')::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
