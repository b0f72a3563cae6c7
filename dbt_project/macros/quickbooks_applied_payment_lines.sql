{#- QuickBooks payments (customer payments and bill payments) apply their amounts to invoices or bills
    through Line[].LinkedTxn[]: one row per amount applied. Both staging models are this query. -#}
{% macro quickbooks_applied_payment_lines(resource, id_column) %}
with

source as (

    select * from {{ keel_source('quickbooks', resource) }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

lines as (

    select
        source.tenant_id,
        source.id as {{ id_column }},
        source.txn_date,
        source._keel_cursor_at,
        item.payment_line,
        item.line_position
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source.line, '[]')::jsonb)
        with ordinality as item (payment_line, line_position)

),

linked as (

    select
        lines.*,
        linked_txn.linked_txn
    from lines
    cross join lateral
        jsonb_array_elements(coalesce(lines.payment_line -> 'LinkedTxn', '[]')) as linked_txn (linked_txn)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        {{ id_column }},
        line_position::integer as line_position,
        linked_txn ->> 'TxnId' as linked_transaction_id,

        -- strings
        linked_txn ->> 'TxnType' as linked_transaction_type,

        -- numerics
        {{ to_money("payment_line ->> 'Amount'") }} as applied_amount,

        -- dates
        txn_date::date as payment_date,

        -- timestamps
        _keel_cursor_at

    from linked

)

select * from final
{% endmacro %}
