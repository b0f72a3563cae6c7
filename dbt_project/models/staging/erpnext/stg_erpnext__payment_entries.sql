-- One row per ERPNext payment entry: money received from a customer (Receive) or paid to a supplier
-- (Pay); internal transfers are neither.
with

source as (

    select * from {{ keel_source('erpnext', 'payment_entries') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        name as payment_id,
        party as party_id,

        -- strings
        payment_type,
        party_type,
        mode_of_payment as payment_method,
        upper(paid_to_account_currency) as currency,

        -- numerics
        docstatus,
        {{ to_money("case when payment_type = 'Receive' then received_amount else paid_amount end") }} as amount,

        -- booleans
        docstatus = 1 as is_submitted,

        -- dates
        posting_date::date as payment_date,

        -- timestamps
        creation::timestamp as created_local,
        _keel_cursor_at

    from source

)

select * from final
