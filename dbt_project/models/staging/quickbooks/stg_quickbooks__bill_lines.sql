-- One row per bill line (bills.Line unnested), with the expense account it is booked to.
with

source as (

    select * from {{ keel_source('quickbooks', 'bills') }}
    -- objects QuickBooks reports deleted stay in raw, marked deleted; they are no longer in the books
    where status is distinct from 'Deleted'

),

lines as (

    select
        source.tenant_id,
        source.id as bill_id,
        source._keel_cursor_at,
        item.bill_line,
        item.line_position
    from source
    cross join lateral
        jsonb_array_elements(coalesce(source.line, '[]')::jsonb)
        with ordinality as item (bill_line, line_position)

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        bill_id,
        line_position::integer as line_position,
        bill_line #>> '{AccountBasedExpenseLineDetail,AccountRef,value}' as account_id,

        -- strings
        bill_line ->> 'Id' as line_id,
        bill_line ->> 'DetailType' as detail_type,
        bill_line ->> 'Description' as description,
        bill_line #>> '{AccountBasedExpenseLineDetail,AccountRef,name}' as account_name,

        -- numerics
        {{ to_money("bill_line ->> 'Amount'") }} as amount,

        -- timestamps
        _keel_cursor_at

    from lines

)

select * from final
