with

source as (

    select * from {{ keel_source('stripe', 'invoices') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as invoice_id,
        customer as customer_id,
        subscription as subscription_id,
        charge as charge_id,

        -- strings
        number as invoice_number,
        status as invoice_status,
        billing_reason,
        upper(currency) as currency,

        -- numerics
        {{ cents_to_currency('subtotal', 'currency') }} as subtotal_amount,
        {{ cents_to_currency("coalesce(nullif(tax, '')::bigint, 0)", 'currency') }} as tax_amount,
        {{ cents_to_currency('total', 'currency') }} as total_amount,
        {{ cents_to_currency('amount_due', 'currency') }} as amount_due,
        {{ cents_to_currency('amount_paid', 'currency') }} as amount_paid,
        {{ cents_to_currency('amount_remaining', 'currency') }} as amount_remaining,
        attempt_count::integer as attempt_count,

        -- booleans
        coalesce(paid, false) as is_paid,

        -- timestamps
        to_timestamp(nullif(due_date, '')::bigint) as due_at,
        to_timestamp(created) as created_at,
        to_timestamp((status_transitions::jsonb ->> 'finalized_at')::bigint) as finalized_at,
        to_timestamp((status_transitions::jsonb ->> 'paid_at')::bigint) as paid_at,
        to_timestamp((status_transitions::jsonb ->> 'voided_at')::bigint) as voided_at,
        to_timestamp(updated) as updated_at,
        _keel_cursor_at

    from source

)

select * from final
